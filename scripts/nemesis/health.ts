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
 * Leader: every node names the same leader for the channel and exactly one node says it leads (the
 * leader's Raft id is its node id only until it is removed from the channel and added back).
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
    // The leader's Raft id is not its node id once it was removed from the
    // channel and added back (a new Raft id per channel), so the check is that
    // all name one leader and exactly one node says it leads.
    if (named.size !== 1 || named.has(0) || leaders.length !== 1) {
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
  /** Blocks the furthest-behind node lacked (largest over the channels) when every node first followed one leader: what catch-up had to copy. */
  readonly behindAtLeader: number | undefined;
  readonly polls: number;
  /** Mean time one poll of every node's /status took (a slow answer is a busy node, not the poller). */
  readonly meanPollMs: number;
}

const POLL_GAP_MS = 50;

/** Polls until healthy and each channel accepts a Broadcast; resolves with the trace, throws after `timeoutMs` naming what was still wrong. */
export async function waitHealthy(cluster: NemesisCluster, probe: BroadcastProbe, timeoutMs: number): Promise<HealthTrace> {
  const start = performance.now();
  const firstMs: Partial<Record<HealthStep, number>> = {};
  let behindAtLeader: number | undefined;
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
    if (reachedIndex >= HEALTH_STEPS.indexOf('leader')) behindAtLeader ??= heightSpread(cluster.channels, statuses);
    if (judged.reached === 'heights') {
      const refused = await probe.refusal();
      if (refused === undefined) {
        firstMs.broadcast = performance.now() - start;
        return { firstMs, behindAtLeader, polls, meanPollMs: pollMs / polls };
      }
      why = refused;
    }
    await sleep(POLL_GAP_MS);
  }
  throw new Error(`not back to healthy within ${timeoutMs} ms: ${why}`);
}

/** Largest spread of heights over the channels (every node answering). */
function heightSpread(channels: readonly string[], statuses: ReadonlyMap<number, NodeStatusView | undefined>): number {
  let spread = 0;
  for (const channel of channels) {
    const heights = [...statuses.values()].map((s) => s?.channels.find((c) => c.channel === channel)?.height ?? 0);
    spread = Math.max(spread, Math.max(...heights) - Math.min(...heights));
  }
  return spread;
}

/** The trace as `leader +1200 heights +1900 broadcast +2100 ms (40 blocks behind; 12 polls of 8 ms)`. */
export function describeTrace(trace: HealthTrace): string {
  const steps = HEALTH_STEPS.filter((s) => s !== 'answering' && trace.firstMs[s] !== undefined).map((s) => `${s} +${trace.firstMs[s]!.toFixed(0)}`);
  const behind = trace.behindAtLeader === undefined ? '' : `${trace.behindAtLeader} blocks behind; `;
  return `${steps.join(' ')} ms (${behind}${trace.polls} polls of ${trace.meanPollMs.toFixed(0)} ms)`;
}

/** The probe's client of one node's AtomicBroadcast service. */
export type ProbeClient = ReturnType<typeof connectAtomicBroadcast>;

/** A reconnecting probe client gives up connecting in the background after this long (a probe then dials again). */
const RECONNECT_WITHIN_MS = 10_000;

/**
 * "Broadcast accepted": one fresh envelope per channel, each channel's to the next node in turn,
 * over one kept client per node (as a real client keeps its connection; a new client per probe
 * timed TLS handshakes of a loaded machine, not the cluster). A client whose call fails is
 * replaced and the envelope sent once more at once (the node may have restarted since).
 */
export class BroadcastProbe {
  readonly #clients = new Map<number, ProbeClient>();
  #next = 0;

  constructor(
    private readonly cluster: NemesisCluster,
    private readonly creator: ReturnType<typeof loadClientCreator>,
    private readonly connect: (node: number) => ProbeClient = (node) =>
      connectAtomicBroadcast(address(cluster.local.node(node), 'client'), clientTls(cluster.dir, cluster.manifest)),
  ) {}

  /**
   * Node `node` was restarted and listens again: its kept client still points at the old process
   * (a gRPC channel in reconnect back-off, whose first call fails). It is replaced by a new one
   * that starts connecting now, while the cluster recovers, so the Broadcast step times the
   * cluster's answer, not this checker's reconnect: under load the failed call, the new client's
   * TLS handshake and the retry took 0.5-3.5 s after the heights already held.
   */
  reconnect(node: number): void {
    this.#clients.get(node)?.close();
    const client = this.connect(node);
    this.#clients.set(node, client);
    client.waitForReady(Date.now() + RECONNECT_WITHIN_MS, () => undefined);
  }

  /** undefined if every channel answered SUCCESS, else why not. */
  async refusal(): Promise<string | undefined> {
    const answers = await Promise.all(this.cluster.channels.map((channel) => this.#probe(channel, this.cluster.ids[this.#next++ % this.cluster.ids.length]!)));
    return answers.find((a) => a !== undefined);
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  async #probe(channel: string, node: number): Promise<string | undefined> {
    const [envelope] = createEnvelopePool({ channelId: channel, creator: this.creator, count: 1, envelopeBytes: 200 });
    let why: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      let client = this.#clients.get(node);
      if (client === undefined) {
        client = this.connect(node);
        this.#clients.set(node, client);
      }
      const stream = new BroadcastStream(client);
      try {
        const answer = await Promise.race([stream.send(envelope!.bytes), sleep(2000).then(() => undefined)]);
        if (answer === undefined) return `${channel}: Broadcast to node ${node} not answered within 2 s`;
        if (answer.status !== Status.SUCCESS) return `${channel}: Broadcast to node ${node}: ${Status[answer.status]} ${answer.info}`;
        return undefined;
      } catch (err) {
        why = `${channel}: Broadcast to node ${node}: ${(err as Error).message}`;
        client.close();
        this.#clients.delete(node);
      } finally {
        stream.cancel();
      }
    }
    return why;
  }
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

/** The node leading `channel` in one poll of every node's /status (undefined if not exactly one says it leads). */
export function leaderIn(statuses: ReadonlyMap<number, NodeStatusView | undefined>, channel: string): number | undefined {
  const leaders = [...statuses].filter(([, s]) => s?.channels.find((c) => c.channel === channel)?.isLeader === true).map(([id]) => id);
  return leaders.length === 1 ? leaders[0] : undefined;
}

/**
 * The channels `node` leads by its own account in that poll, every channel (not only the one a
 * fault targets): during a leadership change the others may not agree yet, while this node
 * already takes envelopes as leader.
 */
export function channelsLedBy(statuses: ReadonlyMap<number, NodeStatusView | undefined>, node: number): string[] {
  return (statuses.get(node)?.channels ?? []).filter((c) => c.isLeader).map((c) => c.channel);
}

/** The node leading `channel` now, per the running nodes' views (undefined if not exactly one says it leads). */
export async function leaderOf(cluster: NemesisCluster, channel: string): Promise<number | undefined> {
  return leaderIn(await clusterStatuses(cluster), channel);
}
