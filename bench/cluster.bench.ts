// The local 3-node cluster under load, every node its own process, all on
// this machine with the load generator:
//
//   npm run bench:cluster [-- --window-s 15 --kills 5 --streams 4 --window 128 --envelopes 300000]
//
// 1. throughput: pre-signed 1 KiB P-256 envelopes Broadcast to the leader (then
//    spread over all nodes, followers forwarding) for a fixed window after a
//    3 s warm-up; committed tx/s and blocks/s counted over a Deliver stream
//    from a follower (only blocks a quorum committed and the follower wrote
//    count), Fabric's batch defaults (500 messages, 2 s timeout);
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
// are signed ahead (before any clock starts), each sent once over the whole run.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEEK_MAX } from '../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../src/client/index.js';
import { intFlag, parseFlags } from '../src/cli/index.js';
import { loadClientCreator, type SignedEnvelope } from '../src/client/index.js';
import { signedEnvelopes } from './lib/signedEnvelopes.js';
import { freeNodePorts } from '../src/cli/index.js';
import { keygen } from '../src/cli/index.js';
import { address, clientMsp, clientTls } from '../src/cli/index.js';
import { CommitCounter } from '../src/cli/index.js';
import { runLoad } from '../src/client/index.js';
import { LocalCluster } from '../src/cli/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import { describeMachine } from './lib/machine.js';
import { cpuSince, threadGroupsCpu, totalUs, type ThreadGroupsCpu } from './lib/threadCpu.js';

const TICK_INTERVAL_MS = 100;
const ELECTION_TICK = 10;
const FAILOVER_LOAD_TX_PER_SEC = 1500;
const CATCH_UP_TIMEOUT_MS = 60_000;
/** Of the signed envelopes, each throughput phase gets this part; the failover rounds share the rest. */
const PHASE_SHARE = 0.4;
/** Seconds over which each process's CPU without load is measured. */
const IDLE_MEASURE_S = 5;

type Clients = Map<number, ReturnType<typeof connectAtomicBroadcast>>;

function followBlocks(cluster: LocalCluster, clients: Clients, nodeId: number, onBlock: Parameters<typeof deliver>[1]['onBlock'], signal: AbortSignal) {
  return deliver(clients.get(nodeId)!, {
    channelId: cluster.manifest.channelId,
    creator: loadClientCreator(clientMsp(cluster.dir, cluster.manifest)),
    start: { type: 'newest' },
    stop: { type: 'specified', number: SEEK_MAX },
    onBlock,
    signal,
  }).catch((error: unknown) => {
    if (!signal.aborted) throw error;
  });
}

/** Where the throughput load goes: the leader only, or spread over every node (followers forward to the leader). */
type LoadTarget = 'leader' | 'all nodes';

/** The envelopes not sent yet: each is handed out once, so every tx id is unique over the run. */
class EnvelopeSupply {
  #next = 0;
  constructor(readonly envelopes: readonly SignedEnvelope[]) {}
  /** The next `count` envelopes at most. */
  take(count: number): SignedEnvelope[] {
    const taken = this.envelopes.slice(this.#next, this.#next + count);
    this.#next += taken.length;
    return taken;
  }
  get left(): number {
    return this.envelopes.length - this.#next;
  }
}

/** CPU of the cluster's processes and of this one (the load generator), per thread group. */
function clusterCpu(cluster: LocalCluster): Map<number | 'load', ThreadGroupsCpu> {
  const cpu = new Map<number | 'load', ThreadGroupsCpu>();
  for (const node of cluster.nodes) {
    const pid = cluster.process(node.id).pid;
    if (pid !== undefined) cpu.set(node.id, threadGroupsCpu(pid));
  }
  cpu.set('load', threadGroupsCpu(process.pid));
  return cpu;
}

type ClusterCpu = Map<number | 'load', ThreadGroupsCpu>;

/** µs of CPU per second each process spends with no load (ticks, heartbeats, metrics, timers). */
async function idleCpuPerSecond(cluster: LocalCluster, seconds: number): Promise<Map<number | 'load', number>> {
  const before = clusterCpu(cluster);
  await sleep(seconds * 1000);
  const after = clusterCpu(cluster);
  const idle = new Map<number | 'load', number>();
  for (const [who, end] of after) {
    const start = before.get(who);
    if (start !== undefined) idle.set(who, totalUs(cpuSince(start, end)) / seconds);
  }
  return idle;
}

/**
 * One line per role: µs of CPU per committed tx over the window, and the same
 * net of the role's idle CPU rate (on a loaded machine a window commits few
 * transactions, and a process's fixed cost per second would weigh on each).
 */
function describeCpu(
  before: ClusterCpu,
  after: ClusterCpu,
  idlePerS: Map<number | 'load', number>,
  seconds: number,
  leader: number,
  txs: number,
  verifyUs: number,
): string[] {
  const per = (us: number) => (txs > 0 ? us / txs : Number.NaN).toFixed(1);
  const lines: string[] = [];
  let all = 0;
  let allNet = 0;
  for (const [who, end] of after) {
    const start = before.get(who);
    if (start === undefined) continue;
    const d = cpuSince(start, end);
    const net = totalUs(d) - (idlePerS.get(who) ?? 0) * seconds;
    all += totalUs(d);
    allNet += net;
    const role = who === 'load' ? 'load generator (this process)' : who === leader ? `leader node ${who}` : `follower node ${who}`;
    lines.push(
      `  ${role.padEnd(30)} ${per(totalUs(d)).padStart(7)} µs/tx = main ${per(d.mainUs)} + pool ${per(d.poolUs)} + other threads (GC, libuv) ${per(d.otherUs)}; net of idle ${per(net)}`,
    );
  }
  lines.push(
    `  ${'all processes'.padEnd(30)} ${per(all).padStart(7)} µs/tx = ${(all / txs / verifyUs).toFixed(2)} x one P-256 verify (${verifyUs.toFixed(1)} µs on one core, this run); net of idle ${per(allNet)}`,
  );
  return lines;
}

/** µs of CPU one native P-256 verify of a 1 KiB message takes on this thread (no pool, no envelope parsing). */
function singleCoreVerifyUs(): number {
  const provider = createCryptoProvider('native');
  const signer = provider.generateSigner('ecdsa-p256');
  const verifier = provider.verifier('ecdsa-p256');
  const messages = Array.from({ length: 16 }, (_, i) => new Uint8Array(1024).fill(i));
  const signatures = messages.map((m) => signer.sign(m));
  const rounds = 4000;
  for (let i = 0; i < 200; i++) verifier.verify(signer.publicKey, messages[i % 16]!, signatures[i % 16]!);
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    if (!verifier.verify(signer.publicKey, messages[i % 16]!, signatures[i % 16]!)) throw new Error('benchmark signature did not verify');
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / rounds;
}

async function throughput(
  cluster: LocalCluster,
  clients: Clients,
  supply: EnvelopeSupply,
  target: LoadTarget,
  windowS: number,
  streams: number,
  windowPerStream: number,
  verifyUs: number,
  idlePerS: Map<number | 'load', number>,
) {
  const leader = await cluster.waitLeader(30_000);
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  const targets = target === 'leader' ? [leader] : cluster.nodes.map((n) => n.id);
  const counter = new CommitCounter();
  const stopFollowing = new AbortController();
  const following = followBlocks(cluster, clients, follower, counter.onBlock, stopFollowing.signal);
  const warmupMs = 3000;
  // Each target gets its own share of never-sent envelopes: every tx id is sent once.
  const share = Math.floor((supply.envelopes.length * PHASE_SHARE) / targets.length);
  const loading = Promise.all(
    targets.map((id) =>
      runLoad({
        client: clients.get(id)!,
        envelopes: supply.take(share),
        streams: Math.max(1, Math.round(streams / targets.length)),
        windowPerStream,
        durationMs: warmupMs + windowS * 1000 + 1000,
        once: true,
      }),
    ),
  );
  await sleep(warmupMs);
  counter.take();
  const cpuBefore = clusterCpu(cluster);
  const started = performance.now();
  await sleep(windowS * 1000);
  const { blocks, txs } = counter.take();
  const cpuAfter = clusterCpu(cluster);
  const seconds = (performance.now() - started) / 1000;
  const reports = await loading;
  stopFollowing.abort();
  await following;
  const refused: Record<string, number> = {};
  for (const report of reports) for (const [what, n] of Object.entries(report.refused)) refused[what] = (refused[what] ?? 0) + n;
  const succeeded = reports.reduce((sum, r) => sum + r.succeeded, 0);
  const sent = reports.reduce((sum, r) => sum + r.sent, 0);
  const ranOut = sent >= share * targets.length;
  return {
    leader,
    follower,
    targets,
    txPerSec: txs / seconds,
    blocksPerSec: blocks / seconds,
    txs,
    blocks,
    succeeded,
    refused,
    ranOut,
    cpu: describeCpu(cpuBefore, cpuAfter, idlePerS, seconds, leader, txs, verifyUs),
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

async function failoverOnce(cluster: LocalCluster, clients: Clients, pool: readonly SignedEnvelope[]): Promise<Failover> {
  await cluster.waitHealthy(60_000);
  const leader = await cluster.waitLeader(30_000);
  const watcher = cluster.nodes.find((n) => n.id !== leader)!.id;
  const stop = new AbortController();
  let lastSeen = -1;
  let killedAt: number | undefined;
  let beyond = Number.MAX_SAFE_INTEGER;
  let firstNewBlockAt: number | undefined;
  const following = followBlocks(
    cluster,
    clients,
    watcher,
    (block) => {
      lastSeen = Math.max(lastSeen, block.header.number);
      if (killedAt !== undefined && firstNewBlockAt === undefined && block.header.number > beyond) firstNewBlockAt = performance.now();
    },
    stop.signal,
  );
  // Enough load that blocks are cut by count (500) well within the 2 s batch timeout.
  const loading = runLoad({
    client: clients.get(watcher)!,
    envelopes: pool,
    streams: 2,
    windowPerStream: 64,
    durationMs: 120_000,
    once: true,
    maxTxPerSec: FAILOVER_LOAD_TX_PER_SEC,
    signal: stop.signal,
  });
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
  await Promise.all([loading, following]);
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
    'window-s': { type: 'string' },
    kills: { type: 'string' },
    streams: { type: 'string' },
    window: { type: 'string' },
    envelopes: { type: 'string' },
  });
  const windowS = intFlag(flags, 'window-s', 15, 1, 600);
  const kills = intFlag(flags, 'kills', 5, 0, 50);
  const streams = intFlag(flags, 'streams', 4, 1, 64);
  const windowPerStream = intFlag(flags, 'window', 128, 1, 4096);
  const envelopeCount = intFlag(flags, 'envelopes', 300_000, 1000, 2_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
  const manifest = keygen({
    outDir: dir,
    nodes: 3,
    algorithm: 'ecdsa-p256',
    channelId: 'benchchannel',
    ports: await freeNodePorts(3),
    engine: 'native',
    tickIntervalMs: TICK_INTERVAL_MS,
    electionTick: ELECTION_TICK,
  });
  const cluster = new LocalCluster(dir);
  const clients: Clients = new Map(cluster.nodes.map((n) => [n.id, connectAtomicBroadcast(address(n, 'client'), clientTls(dir, manifest))]));
  console.log(`bench:cluster — 3 orderer processes + load generator on ${describeMachine()}`);
  try {
    cluster.startAll();
    await cluster.waitHealthy(60_000);
    const creator = loadClientCreator(clientMsp(dir, manifest));
    const signStart = performance.now();
    const pool = signedEnvelopes(manifest.channelId, creator, envelopeCount);
    console.log(
      `signed ${pool.length} envelopes of ${pool[0]!.bytes.length} bytes (P-256), each with its own tx id, in ${((performance.now() - signStart) / 1000).toFixed(1)} s`,
    );
    const verifyUs = singleCoreVerifyUs();
    const idlePerS = await idleCpuPerSecond(cluster, IDLE_MEASURE_S);
    console.log(
      `idle CPU, µs per second: ${[...idlePerS].map(([who, us]) => `${who === 'load' ? 'load generator' : `node ${who}`} ${us.toFixed(0)}`).join(', ')}`,
    );
    const supply = new EnvelopeSupply(pool);

    for (const target of ['leader', 'all nodes'] as const) {
      const t = await throughput(cluster, clients, supply, target, windowS, streams, windowPerStream, verifyUs, idlePerS);
      console.log(
        `throughput, load to ${target === 'leader' ? `leader node ${t.leader}` : `nodes ${t.targets.join(', ')} (followers forward)`}, ` +
          `counted on follower node ${t.follower}, ${windowS} s window, ${streams} streams x ${windowPerStream} outstanding: ` +
          `${t.txPerSec.toFixed(0)} committed tx/s, ${t.blocksPerSec.toFixed(2)} blocks/s (${t.txs} tx in ${t.blocks} blocks); ` +
          `broadcast answers: ${t.succeeded} SUCCESS, refused ${JSON.stringify(t.refused)}` +
          (t.ranOut ? ' — THE LOAD RAN OUT OF ENVELOPES (raise --envelopes): the window was not saturated' : ''),
      );
      console.log(`CPU per committed tx over the window (machine shared: compare µs/tx, not tx/s):\n${t.cpu.join('\n')}`);
    }

    const failovers: Failover[] = [];
    for (let round = 1; round <= kills; round++) {
      const f = await failoverOnce(cluster, clients, supply.take(Math.floor(supply.left / (kills - round + 1))));
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
    for (const client of clients.values()) client.close();
    await cluster.stopAll(10_000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
