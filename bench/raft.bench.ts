// Committed proposals per second through a 3-node in-memory Raft cluster
// (RawNodes + MemoryStorage, messages delivered in-process, no fsync, no
// network), 1 KiB entries:
//   (a) one proposal per Ready cycle: propose, then run every node's Ready
//       loop and deliver messages until the cluster is quiet;
//   (b) 64 proposals, then one such cycle: the batching an orderer does when
//       several blocks are in flight.
// One "op" is one proposal committed and applied on every node.
// Usage: npm run bench:raft
//   RAFT_BENCH_TIME_MS       time per scenario (default 3000)
//   RAFT_BENCH_COMPACT_EVERY snapshot+compact each log every N applied entries (default 10000;
//                            MemoryStorage.append copies the retained log, so this bounds its cost)

import { Bench } from 'tinybench';
import { heapBytesPerOp } from './lib/heap-sampling.js';
import { InMemoryCluster } from './lib/in-memory-cluster.js';
import { describeMachine } from './lib/machine.js';

const entrySizeBytes = 1024;
const batchSize = 64;
const allocationSampleOps = 2_000;
const timePerTaskMs = positiveIntegerFromEnv('RAFT_BENCH_TIME_MS', 3_000);
const compactEveryEntries = positiveIntegerFromEnv('RAFT_BENCH_COMPACT_EVERY', 10_000);

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

interface Scenario {
  readonly name: string;
  readonly proposalsPerCycle: number;
}

const scenarios: readonly Scenario[] = [
  { name: '(a) 1 proposal per Ready cycle', proposalsPerCycle: 1 },
  { name: `(b) ${batchSize} proposals per Ready cycle`, proposalsPerCycle: batchSize },
];

function newCluster(): InMemoryCluster {
  const cluster = new InMemoryCluster({ size: 3, maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 256, compactEveryEntries });
  cluster.electLeader();
  return cluster;
}

/** One cycle: propose, pump until quiet, and check that every proposal was applied. */
function cycleOf(cluster: InMemoryCluster, proposals: number): () => void {
  return () => {
    const before = cluster.leaderApplied;
    for (let i = 0; i < proposals; i++) {
      // A fresh payload per proposal, as an application hands over new blocks.
      cluster.propose(new Uint8Array(entrySizeBytes));
    }
    cluster.pump();
    if (cluster.leaderApplied !== before + proposals || cluster.minApplied !== cluster.leaderApplied) {
      throw new Error(`expected ${proposals} entries applied on every node, got ${cluster.minApplied - before} to ${cluster.leaderApplied - before}`);
    }
  };
}

async function main(): Promise<void> {
  console.log(`machine: ${describeMachine()}`);
  console.log(`3-node in-memory cluster, ${entrySizeBytes}-byte entries, compaction every ${compactEveryEntries} entries, ${timePerTaskMs} ms per scenario`);
  const bench = new Bench({ time: timePerTaskMs, warmupTime: 500, throws: true });
  for (const s of scenarios) bench.add(s.name, cycleOf(newCluster(), s.proposalsPerCycle));
  await bench.run();

  const rows = [];
  for (const s of scenarios) {
    const task = bench.getTask(s.name);
    const result = task?.result;
    if (result === undefined || !('throughput' in result)) throw new Error(`no result for ${s.name}`);
    const cycles = Math.ceil(allocationSampleOps / s.proposalsPerCycle);
    const heapPerCycle = await heapBytesPerOp(cycleOf(newCluster(), s.proposalsPerCycle), cycles);
    rows.push({
      scenario: s.name,
      // From the mean cycle time (total time / cycles), not the mean of per-cycle rates, which outliers skew.
      'proposals committed/s': Math.round((1000 / result.period) * s.proposalsPerCycle),
      'cycle mean (µs)': Number((result.latency.mean * 1000).toFixed(1)),
      'cycle p99 (µs)': Number(((result.latency.p99 ?? NaN) * 1000).toFixed(1)),
      cycles: task?.runs ?? 0,
      'JS heap bytes/proposal': Math.round(heapPerCycle / s.proposalsPerCycle),
    });
  }
  console.table(rows);
  console.log(
    "JS heap bytes/proposal: estimate by V8's sampling heap profiler (objects that died young included), " +
      `over ${allocationSampleOps} proposals; excludes ArrayBuffer backing stores such as the ${entrySizeBytes}-byte payloads.`,
  );
}

await main();
