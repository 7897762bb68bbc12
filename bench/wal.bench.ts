// WAL throughput: appends/s vs syncs/s under 1, 8, 64 and 256 concurrent
// writers (one channel each), for 1 KiB Raft entries and 1 MiB blocks, LMDB
// ("native") and segment files ("native-free") side by side. Group commit
// means appends/s grow with writers while syncs/s stay roughly flat.
//
// Usage: npm run bench:wal [-- --seconds 1.5]
// Each cell runs for a fixed time on a fresh directory under os.tmpdir(),
// removed afterwards. Figures depend on the disk and on whatever else runs.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { EntryType, type Entry } from '../src/raft/index.js';
import { openWalEnvironment, type EngineName, type LedgerBlock, type WalEnvironment } from '../src/storage/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const secondsArg = process.argv.indexOf('--seconds');
const cellSeconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1.5;
const writerCounts = [1, 8, 64, 256] as const;
const engines: readonly EngineName[] = ['native', 'native-free'];

interface Workload {
  readonly name: string;
  readonly payloadBytes: number;
  /** Starts one writer on its own channel; resolves when `deadline` passes; returns its appends. */
  run(env: WalEnvironment, channel: string, deadline: number): Promise<number>;
}

const entries1KiB: Workload = {
  name: '1 KiB entries',
  payloadBytes: KiB,
  async run(env, channel, deadline) {
    const raft = env.channel(channel).raft;
    const data = new Uint8Array(KiB).fill(7);
    let index = raft.lastIndex();
    let n = 0;
    while (performance.now() < deadline) {
      index += 1;
      const e: Entry = { index, term: 1, type: EntryType.Normal, data };
      await raft.persistReady({ entries: [e], hardState: { term: 1, vote: 1, commit: index - 1 } });
      n += 1;
      // Keep memory flat over long runs, as the chain's snapshots would.
      if (index % 2000 === 0) await raft.takeSnapshot(index - 1, undefined, data);
    }
    return n;
  },
};

const blocks1MiB: Workload = {
  name: '1 MiB blocks',
  payloadBytes: MiB,
  async run(env, channel, deadline) {
    const ledger = env.channel(channel).ledger;
    const bytes = new Uint8Array(MiB).fill(9);
    let prev = new Uint8Array(32);
    let n = 0;
    while (performance.now() < deadline) {
      const number = ledger.height;
      const headerHash = new Uint8Array(32);
      new DataView(headerHash.buffer).setFloat64(0, number + 1);
      const block: LedgerBlock = { number, headerHash, previousHash: prev, raftIndex: number + 1, isConfig: false, txIds: [], bytes };
      await ledger.append(block);
      prev = headerHash;
      n += 1;
    }
    return n;
  },
};

interface Cell {
  engine: EngineName;
  workload: string;
  writers: number;
  appendsPerSec: number;
  syncsPerSec: number;
  perSync: number;
  mibPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

async function runCell(engine: EngineName, workload: Workload, writers: number): Promise<Cell> {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'raft-orderer-walbench-'));
  const env = openWalEnvironment({ dir, engine, logger: pino({ level: 'silent' }) });
  try {
    const started = performance.now();
    const deadline = started + cellSeconds * 1000;
    const counts = await Promise.all(Array.from({ length: writers }, (_, w) => workload.run(env, `bench-${w}`, deadline)));
    const elapsedSec = (performance.now() - started) / 1000;
    const appends = counts.reduce((a, b) => a + b, 0);
    const syncs = env.stats.syncCount;
    return {
      engine,
      workload: workload.name,
      writers,
      appendsPerSec: appends / elapsedSec,
      syncsPerSec: syncs / elapsedSec,
      perSync: appends / Math.max(1, syncs),
      mibPerSec: (appends * workload.payloadBytes) / MiB / elapsedSec,
      p50Ms: env.stats.recentQuantileMs(0.5),
      p99Ms: env.stats.recentQuantileMs(0.99),
    };
  } finally {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log(`WAL bench: ${cpus[0]?.model ?? 'unknown CPU'} x ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`);
  console.log(`dir ${os.tmpdir()}, ${cellSeconds}s per cell, one channel per writer; every append awaited (durable) before the next\n`);
  const cells: Cell[] = [];
  for (const workload of [entries1KiB, blocks1MiB]) {
    for (const writers of writerCounts) {
      for (const engine of engines) cells.push(await runCell(engine, workload, writers));
    }
  }
  const header = ['workload', 'writers', 'engine', 'appends/s', 'syncs/s', 'appends/sync', 'MiB/s', 'sync p50 ms', 'sync p99 ms'];
  const rows = cells.map((c) => [
    c.workload,
    String(c.writers),
    c.engine,
    fmt(c.appendsPerSec),
    fmt(c.syncsPerSec),
    fmt(c.perSync, 1),
    fmt(c.mibPerSec, 1),
    fmt(c.p50Ms, 2),
    fmt(c.p99Ms, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 3 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  const target = cells.find((c) => c.engine === 'native' && c.workload === entries1KiB.name && c.writers === 64)!;
  const ratio = target.appendsPerSec / target.syncsPerSec;
  console.log(`\ngroup commit check (LMDB, 64 writers, 1 KiB): appends/s / syncs/s = ${fmt(ratio, 1)} (required >= 20): ${ratio >= 20 ? 'PASS' : 'FAIL'}`);
  if (ratio < 20) process.exitCode = 1;
}

await main();
