// Failover of a local 3-node cluster under load, every node its own process
// on this machine with the load generator:
//
//   npm run bench:failover [-- --kills 20 --pauses 3 --pause-ms 3000 --rate 500 --early on|off
//                              --tick-ms 100 --election-tick 10 --election-jitter-ticks 5 --fresh-starts 0 --soak-s 0
//                              --orderers compiled|tsx]
//
// Per kill -9 of the leader (the load goes to a follower, which forwards):
//   leader known by all: the kill to the last survivor's "raft leader changed: x -> new" log line
//                        (the nodes' own clocks, same machine: no polling in the figure);
//   first ack:           to the first Broadcast SUCCESS the load saw once a survivor knew the new leader
//                        (earlier ones are verdicts the old leader sent before it died);
//   first block:         to the first block, on a survivor's Deliver stream, beyond every block committed at the kill;
//   split votes:         elections that took more than one term (new term - old term > 1).
// Per SIGSTOP of the leader for --pause-ms (then SIGCONT): leader known by all, first ack.
// Each round also prints where its time went, phase by phase, from the nodes' own log lines
// (bench/lib/failoverTimeline.ts), the kill until the bench saw the killed process exit, what that
// process held (resident memory, threads: bench/lib/processFootprint.ts) and which survivor saw the close last.
// After each kill the killed node restarts and catches up before the next round.
// `--early off` writes raft.leaderLossDetection: false into the channel file (the election timeout alone).
// `--tick-ms 500 --election-tick 10` is Fabric's default timing (a 5 s election timeout).
// `--election-jitter-ticks N` writes raft.electionJitterTicks: election timeouts drawn from N ticks
//                     (default the chain's, half of election_tick; N = election_tick is etcd's span).
// `--fresh-starts N`: N more kill rounds, each right after every node restarted (stop all, start all):
//                     the first kill after a start is where a non-random election timeout split the vote.
// `--orderers`: compiled (default: dist/ is built first, as a production node runs) or tsx (the sources).
// `--soak-s S`: first S seconds of load with no fault; every leader change the nodes log meanwhile is spurious.
// Figures include the load generator and three orderers sharing the machine's cores.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { SEEK_MAX } from '../src/block/index.js';
import { address, clientMsp, clientTls, freeNodePorts, intFlag, keygen, LocalCluster, parseFlags } from '../src/cli/index.js';
import { connectAtomicBroadcast, deliver, loadClientCreator, runLoad, type LoadReport, type SignedEnvelope } from '../src/client/index.js';
import { signedEnvelopes } from './lib/signedEnvelopes.js';
import { describeMachine } from './lib/machine.js';
import { ORDERERS_FLAG, prepareOrderers } from './lib/orderers.js';
import { describePhases, failoverTimeline, phasesOf, type FailoverPhases } from './lib/failoverTimeline.js';
import { describeFootprint, processFootprint, type ProcessFootprint } from './lib/processFootprint.js';

const MAX_MESSAGE_COUNT = 50;
const BATCH_TIMEOUT_MS = 200;

type Clients = Map<number, ReturnType<typeof connectAtomicBroadcast>>;

interface Round {
  /** 'fresh': a kill right after every node restarted. */
  readonly kind: 'kill' | 'pause' | 'fresh';
  readonly old: number;
  readonly leader: number;
  readonly knownByAllMs: number;
  readonly firstAckMs: number | undefined;
  readonly firstBlockMs: number | undefined;
  /** Envelopes this round sent (each round sends envelopes no round sent before). */
  readonly sent: number;
  readonly termsTaken: number;
  readonly refused: number;
  /** Where the time to "known by all" went (the nodes' log lines). */
  readonly phases: FailoverPhases & { readonly exit: number | undefined };
  /** The killed leader's resident memory and threads just before the kill (what the kernel tears down before its sockets close). */
  readonly victim: ProcessFootprint | undefined;
  /** The survivor that saw the close last, and whether it is the one the load goes to. */
  readonly lastToSee: { readonly id: number; readonly loadTarget: boolean } | undefined;
}

/** The survivor whose transport saw the stream to the old leader close last (of two or more that saw it). */
function lastToSee(seenBy: ReadonlyMap<number, number>, loadTarget: number): Round['lastToSee'] {
  if (seenBy.size < 2) return undefined;
  const [id] = [...seenBy.entries()].reduce((late, entry) => (entry[1] > late[1] ? entry : late));
  return { id, loadTarget: id === loadTarget };
}

/** Leader-change log lines of node `id` since epoch ms `since`: [time, new leader, term]. */
function leaderChanges(cluster: LocalCluster, id: number, since: number): Array<{ time: number; to: number; term: number }> {
  const out: Array<{ time: number; to: number; term: number }> = [];
  for (const line of fs.readFileSync(cluster.logFile(id), 'utf8').split('\n')) {
    if (!line.includes('raft leader changed')) continue;
    const entry = JSON.parse(line) as { time: number; msg: string; leader: number; term: number };
    if (entry.time >= since) out.push({ time: entry.time, to: entry.leader, term: entry.term });
  }
  return out;
}

/** Waits until every survivor logged a leader other than `old` since `since`; returns each one's first such line. */
async function newLeaderSeen(
  cluster: LocalCluster,
  survivors: readonly number[],
  old: number,
  since: number,
): Promise<Array<{ time: number; to: number; term: number }>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const firsts = survivors.map((id) => leaderChanges(cluster, id, since).find((c) => c.to !== 0 && c.to !== old));
    if (firsts.every((f) => f !== undefined)) return firsts as Array<{ time: number; to: number; term: number }>;
    if (Date.now() > deadline) throw new Error(`no new leader logged by nodes ${survivors.join(', ')} within 30 s`);
    await sleep(20);
  }
}

async function oneRound(
  cluster: LocalCluster,
  clients: Clients,
  pool: SignedEnvelope[],
  kind: 'kill' | 'pause' | 'fresh',
  pauseMs: number,
  rate: number,
): Promise<Round> {
  await cluster.waitHealthy(60_000);
  const old = await cluster.waitLeader(30_000);
  const survivors = cluster.nodes.map((n) => n.id).filter((id) => id !== old);
  const watcher = survivors[0]!;
  const oldTerm = Math.max(
    0,
    ...leaderChanges(cluster, watcher, 0)
      .filter((c) => c.to === old)
      .map((c) => c.term),
  );
  const stop = new AbortController();
  const acks: number[] = [];
  let beyond = Number.MAX_SAFE_INTEGER;
  let lastSeen = -1;
  let firstBlockAt: number | undefined;
  let faultAt = Number.MAX_SAFE_INTEGER;
  const following = deliver(clients.get(watcher)!, {
    channelId: cluster.manifest.channelId,
    creator: loadClientCreator(clientMsp(cluster.dir, cluster.manifest)),
    start: { type: 'newest' },
    stop: { type: 'specified', number: SEEK_MAX },
    onBlock: (block) => {
      lastSeen = Math.max(lastSeen, block.header.number);
      if (firstBlockAt === undefined && block.header.number > beyond) firstBlockAt = performance.now();
    },
    signal: stop.signal,
  }).catch((error: unknown) => {
    if (!stop.signal.aborted) throw error;
  });
  let refusedBefore = 0;
  const loading = runLoad({
    client: clients.get(watcher)!,
    envelopes: pool,
    streams: 2,
    windowPerStream: 64,
    durationMs: 120_000,
    once: true,
    maxTxPerSec: rate,
    signal: stop.signal,
    onAcknowledged: (_envelope, atMs) => {
      if (atMs >= faultAt) acks.push(atMs);
    },
    onTick: (report: LoadReport) => {
      if (faultAt === Number.MAX_SAFE_INTEGER) refusedBefore = Object.values(report.refused).reduce((a, b) => a + b, 0);
    },
  });
  await sleep(1500);
  // Read before the fault, not after: a /metrics scrape costs each survivor CPU in the very
  // milliseconds of its failover. The leader's own count is the highest; a block it commits in
  // the few ms between this read and the kill could pass for the new leader's first.
  const atFault = await cluster.committedBlockNumbers();
  const faultEpoch = Date.now();
  faultAt = performance.now();
  let exitMs: number | undefined;
  const victim = kind === 'pause' ? undefined : processFootprint(cluster.process(old).pid!);
  if (kind !== 'pause') {
    await cluster.process(old).kill('SIGKILL');
    exitMs = Date.now() - faultEpoch;
  } else process.kill(cluster.process(old).pid!, 'SIGSTOP');
  beyond = Math.max(lastSeen, ...[...atFault.values()].map((n) => n ?? -1));
  const seen = await newLeaderSeen(cluster, survivors, old, faultEpoch);
  const knownByAllMs = Math.max(...seen.map((s) => s.time)) - faultEpoch;
  const timeline = failoverTimeline((id) => cluster.logFile(id), survivors, old, seen[0]!.to, faultEpoch);
  const phases = { exit: exitMs, ...phasesOf(timeline) };
  const firstKnownPerf = faultAt + Math.min(...seen.map((s) => s.time)) - faultEpoch;
  const settleUntil = performance.now() + 5000;
  while (performance.now() < settleUntil && (acks.every((t) => t < firstKnownPerf) || firstBlockAt === undefined)) await sleep(20);
  if (kind === 'pause') {
    await sleep(Math.max(0, faultAt + pauseMs - performance.now()));
    process.kill(cluster.process(old).pid!, 'SIGCONT');
  }
  stop.abort();
  const [report] = await Promise.all([loading, following]);
  const firstAck = acks.find((t) => t >= firstKnownPerf);
  const refused = Object.values(report.refused).reduce((a, b) => a + b, 0) - refusedBefore;
  if (kind !== 'pause') {
    cluster.process(old).start();
    await cluster.waitListening(old, 60_000);
  }
  await waitCaughtUp(cluster);
  return {
    kind,
    old,
    leader: seen[0]!.to,
    knownByAllMs,
    firstAckMs: firstAck === undefined ? undefined : firstAck - faultAt,
    firstBlockMs: firstBlockAt === undefined ? undefined : firstBlockAt - faultAt,
    termsTaken: Math.max(...seen.map((s) => s.term)) - oldTerm,
    refused,
    sent: report.sent,
    phases,
    victim,
    lastToSee: lastToSee(timeline.seenBy, watcher),
  };
}

async function waitCaughtUp(cluster: LocalCluster): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const numbers = [...(await cluster.committedBlockNumbers()).values()];
    if (numbers.every((n) => n !== undefined && n === numbers[0])) return;
    if (performance.now() > deadline) throw new Error(`nodes did not converge within 60 s: ${numbers.join(', ')}`);
    await sleep(200);
  }
}

function percentiles(values: readonly (number | undefined)[]): string {
  const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const missing = values.length - sorted.length;
  return `p50 ${at(50).toFixed(0)} ms, p99 ${at(99).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)} (n=${sorted.length}${missing > 0 ? `, ${missing} none within 5 s` : ''})`;
}

function median(values: readonly (number | undefined)[]): string {
  const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? '-' : sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(0);
}

/**
 * Load with no fault for `seconds`, in one-minute parts (each with envelopes
 * of its own, signed before it starts); returns the leader changes every node
 * logged meanwhile.
 */
async function soak(
  cluster: LocalCluster,
  clients: Clients,
  creator: ReturnType<typeof loadClientCreator>,
  seconds: number,
  rate: number,
): Promise<{ changes: string[]; sent: number; acknowledged: number; refused: number }> {
  await cluster.waitHealthy(60_000);
  const leader = await cluster.waitLeader(30_000);
  const follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader)!;
  const since = Date.now();
  let sent = 0;
  let acknowledged = 0;
  let refused = 0;
  for (let left = seconds; left > 0; left -= 60) {
    const part = Math.min(60, left);
    const envelopes = signedEnvelopes(cluster.manifest.channelId, creator, Math.ceil(rate * (part + 1)));
    const report = await runLoad({
      client: clients.get(follower)!,
      envelopes,
      streams: 2,
      windowPerStream: 64,
      durationMs: part * 1000,
      once: true,
      maxTxPerSec: rate,
    });
    sent += report.sent;
    acknowledged += report.succeeded;
    refused += Object.values(report.refused).reduce((a, b) => a + b, 0);
    console.log(`soak: ${seconds - left + part} of ${seconds} s, ${report.succeeded} acknowledged in this part, ${acknowledged} in all`);
  }
  const changes = cluster.nodes.flatMap((n) =>
    leaderChanges(cluster, n.id, since).map((c) => `node ${n.id} at +${c.time - since} ms: leader ${c.to} (term ${c.term})`),
  );
  return { changes, sent, acknowledged, refused };
}

/** Sets node-side raft settings (not in the block) in the channel file every node reads. */
function setRaftSettings(dir: string, channelId: string, settings: Record<string, unknown>): void {
  const file = path.join(dir, 'channels', `${channelId}.yaml`);
  const doc = parse(fs.readFileSync(file, 'utf8')) as { raft?: Record<string, unknown> };
  doc.raft = { ...doc.raft, ...settings };
  fs.writeFileSync(file, stringify(doc));
}

async function main(): Promise<void> {
  const flags = parseFlags('bench:failover', process.argv.slice(2), {
    ...ORDERERS_FLAG,
    kills: { type: 'string' },
    pauses: { type: 'string' },
    'pause-ms': { type: 'string' },
    rate: { type: 'string' },
    early: { type: 'string' },
    'tick-ms': { type: 'string' },
    'election-tick': { type: 'string' },
    'election-jitter-ticks': { type: 'string' },
    'fresh-starts': { type: 'string' },
    'soak-s': { type: 'string' },
  });
  const tickIntervalMs = intFlag(flags, 'tick-ms', 100, 1, 10_000);
  const electionTick = intFlag(flags, 'election-tick', 10, 2, 1000);
  // Default: the chain's own (half of election_tick); election_tick is etcd's span.
  const jitterTicks = flags['election-jitter-ticks'] === undefined ? undefined : intFlag(flags, 'election-jitter-ticks', 1, 1, electionTick);
  const freshStarts = intFlag(flags, 'fresh-starts', 0, 0, 200);
  const soakS = intFlag(flags, 'soak-s', 0, 0, 86_400);
  const kills = intFlag(flags, 'kills', 20, 0, 200);
  const pauses = intFlag(flags, 'pauses', 3, 0, 50);
  const pauseMs = intFlag(flags, 'pause-ms', 3000, 100, 60_000);
  const rate = intFlag(flags, 'rate', 500, 1, 100_000);
  const early = flags['early'] ?? 'on';
  if (early !== 'on' && early !== 'off') throw new Error(`--early must be on or off, got "${String(early)}"`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-failover-'));
  const manifest = keygen({
    outDir: dir,
    nodes: 3,
    algorithm: 'ecdsa-p256',
    channelId: 'benchchannel',
    ports: await freeNodePorts(3),
    engine: 'native',
    tickIntervalMs,
    electionTick,
    batchTimeoutMs: BATCH_TIMEOUT_MS,
    maxMessageCount: MAX_MESSAGE_COUNT,
  });
  if (early === 'off') setRaftSettings(dir, manifest.channelId, { leaderLossDetection: false });
  if (jitterTicks !== undefined) setRaftSettings(dir, manifest.channelId, { electionJitterTicks: jitterTicks });
  const orderers = await prepareOrderers(flags);
  const cluster = new LocalCluster(dir, { runtime: orderers.runtime });
  const clients: Clients = new Map(cluster.nodes.map((n) => [n.id, connectAtomicBroadcast(address(n, 'client'), clientTls(dir, manifest))]));
  console.log(`bench:failover — 3 orderer processes + load generator on ${describeMachine()}; ${orderers.description}`);
  console.log(
    `tick ${tickIntervalMs} ms x election_tick ${electionTick}, election timeouts drawn from ${jitterTicks ?? Math.max(1, Math.floor(electionTick / 2))} ticks; early campaign on transport loss: ${early}; load ${rate} tx/s to a follower; blocks of ${MAX_MESSAGE_COUNT} (fill ${((MAX_MESSAGE_COUNT / rate) * 1000).toFixed(0)} ms at that load) or ${BATCH_TIMEOUT_MS} ms`,
  );
  const rounds: Round[] = [];
  let soaked: Awaited<ReturnType<typeof soak>> | undefined;
  try {
    cluster.startAll();
    await cluster.waitHealthy(60_000);
    const creator = loadClientCreator(clientMsp(dir, manifest));
    if (soakS > 0) soaked = await soak(cluster, clients, creator, soakS, rate);
    const plan = [...Array<'kill'>(kills).fill('kill'), ...Array<'pause'>(pauses).fill('pause'), ...Array<'fresh'>(freshStarts).fill('fresh')];
    // Every envelope is sent once: the leader answers a tx id it already ordered as a duplicate
    // without cutting a block, so a cycled pool would delay each round's first block further.
    const perRound = Math.ceil(rate * ((1500 + 5000 + pauseMs) / 1000 + 1));
    const pool = signedEnvelopes(manifest.channelId, creator, perRound * plan.length);
    let cursor = 0;
    for (const [i, kind] of plan.entries()) {
      if (kind === 'fresh') {
        await cluster.stopAll(10_000);
        cluster.startAll();
      }
      const r = await oneRound(cluster, clients, pool.slice(cursor), kind, pauseMs, rate);
      cursor += r.sent;
      rounds.push(r);
      console.log(
        `${kind} ${i + 1}/${plan.length}: node ${r.old} -> leader ${r.leader} known by all after ${r.knownByAllMs} ms (${r.termsTaken} term${r.termsTaken === 1 ? '' : 's'}), ` +
          `first ack ${r.firstAckMs?.toFixed(0) ?? '-'} ms, first block ${r.firstBlockMs?.toFixed(0) ?? '-'} ms, ${r.refused} Broadcasts refused`,
      );
      console.log(
        `  where the time went (ms): ${r.kind !== 'pause' ? `process gone ${r.phases.exit} (as the bench saw it; it held ${describeFootprint(r.victim)}); ` : ''}${describePhases(r.phases)}` +
          (r.lastToSee === undefined ? '' : `; last to see the close: node ${r.lastToSee.id}${r.lastToSee.loadTarget ? ' (the load goes to it)' : ''}`),
      );
    }
  } finally {
    for (const client of clients.values()) client.close();
    await cluster.stopAll(10_000);
    // BENCH_KEEP=1 keeps the nodes' logs (where the time went) and ledgers.
    if (process.env['BENCH_KEEP'] === '1') console.log(`cluster kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  if (soaked !== undefined) {
    console.log(
      `no fault, ${soakS} s of load (${soaked.acknowledged} of ${soaked.sent} acknowledged, ${soaked.refused} refused): ${soaked.changes.length} leader changes logged${soaked.changes.length > 0 ? `:\n  ${soaked.changes.join('\n  ')}` : ''}`,
    );
  }
  for (const kind of ['kill', 'pause', 'fresh'] as const) {
    const of = rounds.filter((r) => r.kind === kind);
    if (of.length === 0) continue;
    const what = kind === 'kill' ? 'kill -9 leader' : kind === 'fresh' ? 'kill -9 leader right after a restart of all nodes' : `SIGSTOP leader ${pauseMs} ms`;
    console.log(`${what} -> new leader known by all survivors: ${percentiles(of.map((r) => r.knownByAllMs))}`);
    console.log(`${what} -> first Broadcast acknowledged: ${percentiles(of.map((r) => r.firstAckMs))}`);
    if (kind !== 'pause') console.log(`${what} -> first block committed: ${percentiles(of.map((r) => r.firstBlockMs))}`);
    const phaseNames = ['exit', 'seen', 'spread', 'declare', 'delay', 'preVote', 'vote', 'announce'] as const;
    console.log(`${what}: where the time went, p50 per phase (ms): ${phaseNames.map((name) => `${name} ${median(of.map((r) => r.phases[name]))}`).join(', ')}`);
    const victims = of.map((r) => r.victim).filter((v): v is ProcessFootprint => v !== undefined);
    if (victims.length > 0) {
      console.log(
        `${what}: the killed leader held p50 ${median(victims.map((v) => v.rssMb))} MB resident (${median(victims.map((v) => v.anonMb))} MB anonymous), ${median(victims.map((v) => v.threads))} threads`,
      );
    }
    const compared = of.filter((r) => r.lastToSee !== undefined);
    if (compared.length > 0) {
      console.log(
        `${what}: the survivor the load goes to saw the close last in ${compared.filter((r) => r.lastToSee!.loadTarget).length} of ${compared.length}`,
      );
    }
    const splits = of.filter((r) => r.termsTaken > 1).length;
    console.log(
      `${what}: split votes ${splits} of ${of.length}${kind === 'fresh' ? '' : of[0]!.termsTaken > 1 ? ' (the first one after the start split)' : ' (not the first one after the start)'}; Broadcasts refused per round ${percentiles(of.map((r) => r.refused)).replace(/ ms/g, '')}`,
    );
  }
}

await main();
process.exit(0);
