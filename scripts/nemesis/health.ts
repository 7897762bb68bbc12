// Back to healthy, as the nemesis judges it: every node up and answering,
// every node of every channel following the same single leader, committed
// heights within one block, and a fresh Broadcast on each channel answered
// SUCCESS. Nodes are read through their operations listener's small JSON
// /status (one request per node per poll: leader, term, height of each
// channel), not the /metrics text, whose rendering costs a busy node's main
// thread milliseconds per read. Each wait records when each condition first
// held, so a slow recovery shows which step took the time.

import { setTimeout as sleep } from 'node:timers/promises';
import { Status } from '../../src/block/index.js';
import {
  BroadcastStream,
  connectAtomicBroadcast,
  createEnvelopePool,
  nodeStatus,
  type loadClientCreator,
  type NodeStatusView,
} from '../../src/client/index.js';
import { address, clientTls } from '../../src/cli/index.js';
import type { NemesisCluster } from './cluster.js';

/** The conditions in the order they are checked; a poll reaching one passed every earlier one. */
export const HEALTH_STEPS = ['answering', 'leader', 'heights', 'broadcast'] as const;
export type HealthStep = (typeof HEALTH_STEPS)[number];

export interface HealthJudgement {
  /** The last condition that held, or undefined if not even every node answered. */
  readonly reached: Exclude<HealthStep, 'broadcast'> | undefined;
  /** What is still wrong ('' when every condition up to heights holds). */
  readonly why: string;
}

/**
 * Judges one poll: `statuses` maps every node id to its /status (undefined: down or not answering).
 * Leader: every node names the same leader for the channel and exactly that node says it leads.
 */
export function judgeHealth(ids: readonly number[], channels: readonly string[], statuses: ReadonlyMap<number, NodeStatusView | undefined>): HealthJudgement {
  const silent = ids.filter((id) => statuses.get(id) === undefined);
  if (silent.length > 0) return { reached: undefined, why: `node(s) ${silent.join(',')} down or not answering` };
  const views = channels.map((channel) => ({
    channel,
    perNode: ids.map((id) => ({ id, view: statuses.get(id)!.channels.find((c) => c.channel === channel) })),
  }));
  for (const { channel, perNode } of views) {
    const missing = perNode.filter((p) => p.view === undefined).map((p) => p.id);
    if (missing.length > 0) return { reached: undefined, why: `${channel}: node(s) ${missing.join(',')} do not serve it` };
  }
  for (const { channel, perNode } of views) {
    const named = new Set(perNode.map((p) => p.view!.leaderId));
    const leaders = perNode.filter((p) => p.view!.isLeader).map((p) => p.id);
    if (named.size !== 1 || named.has(0) || leaders.length !== 1 || !named.has(leaders[0]!)) {
      const seen = perNode.map((p) => `${p.id}->${p.view!.leaderId}`).join(' ');
      return { reached: 'answering', why: `${channel}: no single leader followed by all (${seen})` };
    }
  }
  for (const { channel, perNode } of views) {
    const heights = perNode.map((p) => p.view!.height);
    if (Math.max(...heights) - Math.min(...heights) > 1) return { reached: 'leader', why: `${channel}: heights ${heights.join(',')}` };
  }
  return { reached: 'heights', why: '' };
}

/** Every node's /status (undefined for a node not running or not answering). */
export async function clusterStatuses(cluster: NemesisCluster): Promise<Map<number, NodeStatusView | undefined>> {
  const statuses = await Promise.all(
    cluster.ids.map((id) => (cluster.local.process(id).running ? nodeStatus(address(cluster.local.node(id), 'operations')) : undefined)),
  );
  return new Map(cluster.ids.map((id, i) => [id, statuses[i]]));
}

/** When each condition first held, ms from the start of the wait, and what the polling cost. */
export interface HealthTrace {
  readonly firstMs: Readonly<Partial<Record<HealthStep, number>>>;
  readonly polls: number;
  /** Mean time one poll of every node's /status took (a slow answer is a busy node, not the poller). */
  readonly meanPollMs: number;
}

const POLL_GAP_MS = 50;

/** Polls until healthy and each channel accepts a Broadcast; resolves with the trace, throws after `timeoutMs` naming what was still wrong. */
export async function waitHealthy(cluster: NemesisCluster, creator: ReturnType<typeof loadClientCreator>, timeoutMs: number): Promise<HealthTrace> {
  const start = performance.now();
  const firstMs: Partial<Record<HealthStep, number>> = {};
  let polls = 0;
  let pollMs = 0;
  let why = '';
  while (performance.now() - start < timeoutMs) {
    const before = performance.now();
    const statuses = await clusterStatuses(cluster);
    const judged = judgeHealth(cluster.ids, cluster.channels, statuses);
    polls++;
    pollMs += performance.now() - before;
    why = judged.why;
    const reachedIndex = judged.reached === undefined ? -1 : HEALTH_STEPS.indexOf(judged.reached);
    for (const step of HEALTH_STEPS.slice(0, reachedIndex + 1)) firstMs[step] ??= before - start;
    if (judged.reached === 'heights') {
      const refused = await broadcastRefusal(cluster, creator);
      if (refused === undefined) {
        firstMs.broadcast = performance.now() - start;
        return { firstMs, polls, meanPollMs: pollMs / polls };
      }
      why = refused;
    }
    await sleep(POLL_GAP_MS);
  }
  throw new Error(`not back to healthy within ${timeoutMs} ms: ${why}`);
}

/** The trace as `leader +1200 heights +1900 broadcast +2100 ms (12 polls of 8 ms)`. */
export function describeTrace(trace: HealthTrace): string {
  const steps = HEALTH_STEPS.filter((s) => s !== 'answering' && trace.firstMs[s] !== undefined).map((s) => `${s} +${trace.firstMs[s]!.toFixed(0)}`);
  return `${steps.join(' ')} ms (${trace.polls} polls of ${trace.meanPollMs.toFixed(0)} ms)`;
}

let probeNode = 0;

/** One fresh envelope per channel, each to the next node in turn: undefined if every one is answered SUCCESS, else why not. */
async function broadcastRefusal(cluster: NemesisCluster, creator: ReturnType<typeof loadClientCreator>): Promise<string | undefined> {
  for (const channel of cluster.channels) {
    const node = cluster.ids[probeNode++ % cluster.ids.length]!;
    const client = connectAtomicBroadcast(address(cluster.local.node(node), 'client'), clientTls(cluster.dir, cluster.manifest));
    const stream = new BroadcastStream(client);
    try {
      const [envelope] = createEnvelopePool({ channelId: channel, creator, count: 1, envelopeBytes: 200 });
      const answer = await Promise.race([stream.send(envelope!.bytes), sleep(2000).then(() => undefined)]);
      if (answer === undefined) return `${channel}: Broadcast to node ${node} not answered within 2 s`;
      if (answer.status !== Status.SUCCESS) return `${channel}: Broadcast to node ${node}: ${Status[answer.status]} ${answer.info}`;
    } catch (err) {
      return `${channel}: Broadcast to node ${node}: ${(err as Error).message}`;
    } finally {
      stream.cancel();
      client.close();
    }
  }
  return undefined;
}

/** Every running node's height of every channel, as one comparable string ('' if a running node does not answer). */
export async function committedHeights(cluster: NemesisCluster): Promise<string> {
  const statuses = await clusterStatuses(cluster);
  const running = cluster.ids.filter((id) => cluster.local.process(id).running);
  if (running.some((id) => statuses.get(id) === undefined)) return '';
  return running
    .map(
      (id) =>
        `${id}:${statuses
          .get(id)!
          .channels.map((c) => `${c.channel}=${c.height}`)
          .join(',')}`,
    )
    .join(' ');
}

/**
 * Whether `node` considers itself the leader of `channel` (its own view). During a
 * leadership change the others may not agree yet, so leaderOf() may see no single leader
 * while this node already took envelopes as leader.
 */
export async function leadsItself(cluster: NemesisCluster, node: number, channel: string): Promise<boolean> {
  if (!cluster.local.process(node).running) return false;
  return (await nodeStatus(address(cluster.local.node(node), 'operations')))?.channels.find((c) => c.channel === channel)?.isLeader === true;
}

/** The node leading `channel` now, per the running nodes' views (undefined if not exactly one says it leads). */
export async function leaderOf(cluster: NemesisCluster, channel: string): Promise<number | undefined> {
  const statuses = await clusterStatuses(cluster);
  const leaders = cluster.ids.filter((id) => statuses.get(id)?.channels.find((c) => c.channel === channel)?.isLeader === true);
  return leaders.length === 1 ? leaders[0] : undefined;
}
