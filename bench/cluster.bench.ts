// The local 3-node cluster under load, every node its own process, all on
// this machine with the load generator — `orderer bench`'s harness library
// (the same HTTP/2 Broadcast lanes, Deliver follower, recorder and signing
// workers):
//
//   npm run bench:cluster [-- --window-s 15 --kills 5 --streams 4 --window 128 --envelopes 300000 --orderers compiled|tsx
//                             --snapshot-interval '20 MB']
//
// The orderers run compiled (dist/ is built first, as a production node runs) unless --orderers tsx.
//
// 1. throughput: 1 KiB P-256 envelopes Broadcast closed loop (streams x window
//    outstanding) to the leader (then spread over all nodes, followers
//    forwarding) for a fixed window after a 3 s warm-up; committed tx/s and
//    blocks/s counted over a Deliver stream from a follower (only blocks a
//    quorum committed and the follower wrote count), Fabric's batch defaults
//    (500 messages, 2 s timeout);
// 2. failover, tick 100 ms x election_tick 10 (election timeout 1 s): kill -9
//    the leader under load, time until a survivor applies the first
//    block beyond what any survivor had committed at the kill (which needs a
//    new leader); restart the killed node, let it catch up; 5 times.
//
// The figures include the load generator and three orderers sharing the
// machine's cores; they are printed with the machine. Next to tx/s, each
// throughput phase prints the CPU each role spent per committed transaction
// over the window (per thread, from /proc: the leader's main thread, its pool
// threads, its other threads — GC helpers, libuv —, each follower, and this
// process, the load generator), with the single-core cost of one P-256 verify
// measured in the same run: on a shared machine µs of CPU per transaction is
// the figure to compare between runs, tx/s depends on what else runs.
//
// Every envelope carries its own tx id, as a real client's do: the envelopes
// are signed ahead by worker threads (before any clock starts), each sent
// once over the whole run.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEEK_MAX } from '../src/block/index.js';
import { clusterTarget, freeNodePorts, intFlag, keygen, LocalCluster, parseFlags } from '../src/cli/index.js';
import { deliverStream, EnvelopeSupply, runBench, type BenchTarget, type RunResult, type TargetRole } from '../src/client/index.js';
import { clusterCpu, describeCpu, idleCpuPerSecond, singleCoreVerifyUs, type ClusterCpu } from './lib/clusterCpu.js';
import { describeMachine } from './lib/machine.js';
import { ORDERERS_FLAG, prepareOrderers } from './lib/orderers.js';

const TICK_INTERVAL_MS = 100;
const ELECTION_TICK = 10;
const FAILOVER_LOAD_TX_PER_SEC = 1500;
const CATCH_UP_TIMEOUT_MS = 60_000;
const WARMUP_S = 3;
/** Seconds over which each process's CPU without load is measured. */
const IDLE_MEASURE_S = 5;

/** The target with Deliver following `nodeId` first (the node the figures are counted on). */
function followingNode(target: BenchTarget, nodeId: number): BenchTarget {
  return { ...target, deliverEndpoints: () => [...target.deliverEndpoints()].sort((a, b) => Number(b.nodeId === nodeId) - Number(a.nodeId === nodeId)) };
}

interface Throughput {
  readonly leader: number;
  readonly follower: number;
  readonly targets: number[];
  readonly txPerSec: number;
  readonly blocksPerSec: number;
  readonly txs: number;
  readonly blocks: number;
  readonly acknowledged: number;
  readonly refused: Record<string, number>;
  readonly ranOut: boolean;
  readonly cpu: string[];
}

async function throughput(
  cluster: LocalCluster,
  target: BenchTarget,
  supply: EnvelopeSupply,
  role: TargetRole,
  windowS: number,
  streams: number,
  windowPerStream: number,
  verifyUs: number,
  idlePerS: Map<number | 'load', number>,
): Promise<Throughput> {
  const leader = await cluster.waitLeader(30_000);
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  const targets = role === 'leader' ? [leader] : cluster.nodes.map((n) => n.id);
  const backlog = streams * windowPerStream;
  let cpuBefore: ClusterCpu | undefined;
  let cpuAfter: ClusterCpu | undefined;
  const starvedBefore = supply.stats().starved;
  const run: RunResult = await runBench({
    target: followingNode(target, follower),
    schedule: {
      phases: [
        { kind: 'backlog', name: 'warm-up', durationS: WARMUP_S, backlog },
        { kind: 'backlog', name: 'window', durationS: windowS, backlog },
      ],
      faults: [],
    },
    role,
    streamsPerNode: Math.max(1, Math.round(streams / targets.length)),
    maxOutstanding: backlog,
    supply,
    refill: false,
    // The per-role CPU lines come from /proc over the window: no per-second scraping in the load generator's figure.
    watchNodes: false,
    onRound: (name) => {
      if (name === 'window') cpuBefore = clusterCpu(cluster);
      else if (name === 'drain') cpuAfter = clusterCpu(cluster);
    },
  });
  const window = run.rounds.find((r) => r.name === 'window');
  if (window === undefined || cpuBefore === undefined || cpuAfter === undefined) throw new Error('the throughput run ended before its window did');
  return {
    leader,
    follower,
    targets,
    txPerSec: window.committedTx / window.durationS,
    blocksPerSec: window.blocks / window.durationS,
    txs: window.committedTx,
    blocks: window.blocks,
    acknowledged: window.acknowledged,
    refused: window.refused,
    ranOut: supply.stats().starved > starvedBefore,
    cpu: describeCpu(cpuBefore, cpuAfter, idlePerS, window.durationS, leader, window.committedTx, verifyUs),
  };
}

interface Failover {
  readonly killed: number;
  readonly newLeader: number;
  /** Kill to a survivor reporting itself leader on /metrics (polled every 100 ms). */
  readonly electedMs: number;
  /** Kill to the first block a survivor applied beyond what any survivor had committed at the kill. */
  readonly failoverMs: number;
}

async function failoverOnce(cluster: LocalCluster, target: BenchTarget, supply: EnvelopeSupply): Promise<Failover> {
  await cluster.waitHealthy(60_000);
  const leader = await cluster.waitLeader(30_000);
  const watcher = cluster.nodes.find((n) => n.id !== leader)!.id;
  const stop = new AbortController();
  let lastSeen = -1;
  let killedAt: number | undefined;
  let beyond = Number.MAX_SAFE_INTEGER;
  let firstNewBlockAt: number | undefined;
  const watching = deliverStream(target.deliverEndpoints().find((e) => e.nodeId === watcher)!.session, {
    channelId: target.channelId,
    creator: target.creator,
    start: { type: 'newest' },
    stop: { type: 'specified', number: SEEK_MAX },
    onBlock: (number, _txIds, nowMs) => {
      lastSeen = Math.max(lastSeen, number);
      if (killedAt !== undefined && firstNewBlockAt === undefined && number > beyond) firstNewBlockAt = nowMs;
    },
    signal: stop.signal,
  }).catch((error: unknown) => {
    if (!stop.signal.aborted) throw error;
  });
  let loadStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    loadStarted = resolve;
  });
  // Enough load that blocks are cut by count (500) well within the 2 s batch timeout; sent to the watcher, which forwards.
  const watcherOnly: BenchTarget = {
    ...target,
    sendEndpoints: async () => target.deliverEndpoints().filter((e) => e.nodeId === watcher),
  };
  const loading = runBench({
    target: followingNode(watcherOnly, watcher),
    schedule: { phases: [{ kind: 'rate', name: 'failover', durationS: 120, rate: FAILOVER_LOAD_TX_PER_SEC, toRate: FAILOVER_LOAD_TX_PER_SEC }], faults: [] },
    role: 'all',
    streamsPerNode: 2,
    maxOutstanding: 128,
    supply,
    refill: false,
    watchNodes: false,
    signal: stop.signal,
    onRound: (name) => {
      if (name === 'failover') loadStarted();
    },
  });
  await Promise.race([started, loading]);
  await sleep(1500);
  killedAt = performance.now();
  await cluster.process(leader).kill('SIGKILL');
  const atKill = await cluster.committedBlockNumbers();
  beyond = Math.max(lastSeen, ...[...atKill.values()].map((n) => n ?? -1));
  const newLeader = await cluster.waitLeader(30_000, leader);
  const electedMs = performance.now() - killedAt;
  const deadline = performance.now() + 30_000;
  while (firstNewBlockAt === undefined && performance.now() < deadline) await sleep(10);
  stop.abort();
  await Promise.all([loading, watching]);
  if (firstNewBlockAt === undefined) throw new Error(`no block committed within 30 s after killing leader ${leader}`);
  // Bring the killed node back and let it catch up before the next round.
  cluster.process(leader).start();
  await cluster.waitListening(leader, 60_000);
  const catchUpDeadline = performance.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const numbers = await cluster.committedBlockNumbers();
    const others = Math.max(...cluster.nodes.filter((n) => n.id !== leader).map((n) => numbers.get(n.id) ?? 0));
    if ((numbers.get(leader) ?? -1) >= others) break;
    if (performance.now() > catchUpDeadline) {
      throw new Error(
        `restarted node ${leader} did not catch up within ${CATCH_UP_TIMEOUT_MS} ms (at ${numbers.get(leader)}, others at ${others}); see ${cluster.logFile(leader)}`,
      );
    }
    await sleep(200);
  }
  return { killed: leader, newLeader, electedMs, failoverMs: firstNewBlockAt - killedAt };
}

function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return `min ${sorted[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const flags = parseFlags('bench:cluster', process.argv.slice(2), {
    ...ORDERERS_FLAG,
    'window-s': { type: 'string' },
    kills: { type: 'string' },
    streams: { type: 'string' },
    window: { type: 'string' },
    envelopes: { type: 'string' },
    'snapshot-interval': { type: 'string' },
  });
  const windowS = intFlag(flags, 'window-s', 15, 1, 600);
  const kills = intFlag(flags, 'kills', 5, 0, 50);
  const streams = intFlag(flags, 'streams', 4, 1, 64);
  const windowPerStream = intFlag(flags, 'window', 128, 1, 4096);
  const envelopeCount = intFlag(flags, 'envelopes', 300_000, 1000, 2_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
  keygen({
    outDir: dir,
    nodes: 3,
    algorithm: 'ecdsa-p256',
    channelId: 'benchchannel',
    ports: await freeNodePorts(3),
    engine: 'native',
    tickIntervalMs: TICK_INTERVAL_MS,
    electionTick: ELECTION_TICK,
    ...(typeof flags['snapshot-interval'] === 'string' && { snapshotIntervalSize: flags['snapshot-interval'] }),
  });
  const orderers = await prepareOrderers(flags);
  const cluster = new LocalCluster(dir, { runtime: orderers.runtime });
  const target = clusterTarget(cluster, { envelopeBytes: 1024, description: 'bench:cluster' });
  const supply = new EnvelopeSupply(target.signer);
  console.log(`bench:cluster — 3 orderer processes + load generator on ${describeMachine()}; ${orderers.description}`);
  try {
    cluster.startAll();
    await cluster.waitHealthy(60_000);
    const signStart = performance.now();
    await supply.prepare(envelopeCount);
    console.log(
      `signed ${envelopeCount} envelopes of ${target.signer.envelopeBytes} bytes (P-256), each with its own tx id, in ${((performance.now() - signStart) / 1000).toFixed(1)} s ` +
        `(${os.availableParallelism()} worker threads)`,
    );
    const verifyUs = singleCoreVerifyUs();
    const idlePerS = await idleCpuPerSecond(cluster, IDLE_MEASURE_S);
    console.log(
      `idle CPU, µs per second: ${[...idlePerS].map(([who, us]) => `${who === 'load' ? 'load generator' : `node ${who}`} ${us.toFixed(0)}`).join(', ')}`,
    );

    for (const role of ['leader', 'all'] as const) {
      const t = await throughput(cluster, target, supply, role, windowS, streams, windowPerStream, verifyUs, idlePerS);
      console.log(
        `throughput, load to ${role === 'leader' ? `leader node ${t.leader}` : `nodes ${t.targets.join(', ')} (followers forward)`}, ` +
          `counted on follower node ${t.follower}, ${windowS} s window, ${streams} streams x ${windowPerStream} outstanding: ` +
          `${t.txPerSec.toFixed(0)} committed tx/s, ${t.blocksPerSec.toFixed(2)} blocks/s (${t.txs} tx in ${t.blocks} blocks); ` +
          `broadcast answers in the window: ${t.acknowledged} SUCCESS, refused ${JSON.stringify(t.refused)}` +
          (t.ranOut ? ' — THE LOAD RAN OUT OF SIGNED ENVELOPES (raise --envelopes): the window was not saturated' : ''),
      );
      console.log(`CPU per committed tx over the window (machine shared: compare µs/tx, not tx/s):\n${t.cpu.join('\n')}`);
    }

    const failovers: Failover[] = [];
    for (let round = 1; round <= kills; round++) {
      const f = await failoverOnce(cluster, target, supply);
      failovers.push(f);
      console.log(
        `failover ${round}/${kills}: killed leader node ${f.killed}; node ${f.newLeader} leader after ${f.electedMs.toFixed(0)} ms, ` +
          `first block committed by it after ${f.failoverMs.toFixed(0)} ms`,
      );
    }
    if (failovers.length > 0) {
      console.log(
        `failover over ${failovers.length} kills under ~${FAILOVER_LOAD_TX_PER_SEC} tx/s (tick ${TICK_INTERVAL_MS} ms x election_tick ${ELECTION_TICK} = ` +
          `${TICK_INTERVAL_MS * ELECTION_TICK} ms election timeout): kill to first new block ${summary(failovers.map((f) => f.failoverMs))}; ` +
          `kill to leader seen ${summary(failovers.map((f) => f.electedMs))}`,
      );
    }
  } finally {
    await supply.close();
    await target.close();
    await cluster.stopAll(10_000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
