// Worker pool throughput for verifyBatch, against the single-core rate of the
// same code path measured in this run:
//
//   npm run bench:pool [-- --time-ms=1500 --engine=native --algorithm=ecdsa-p256 --max-workers=N]
//
// 1. single-core: VerificationContext.verifyAll on this thread (same code the
//    workers run: envelope read, cached creator, one signature check each);
// 2. the pool with 1..N workers (N = cores) and batches of 1, 8, 64, 256
//    envelopes, kept saturated (several tasks in flight per worker), printed as
//    verifies/s and as a fraction of workers x the single-core rate, with the
//    main thread's event-loop delay p99 while saturated (and idle, for scale);
// 3. the batch transfer mode: packed buffer transferred vs cloned.
//
// Every verdict is checked to be ok, so a broken path cannot look fast.
// Figures depend on the machine's load (printed with them).

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createSignedEnvelope, encodeSerializedIdentity, HeaderType } from '../src/block/index.js';
import { DevOrganization } from '../src/crypto/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import type { Engine, SignatureAlgorithm } from '../src/crypto/index.js';
import { VerificationContext, WorkerPool, type BatchTransfer, type EnvelopeVerdict, type VerificationContextInput } from '../src/workers/index.js';
import { describeMachine } from './lib/machine.js';

const BATCH_SIZES = [1, 8, 64, 256] as const;
const ENVELOPES = 1024;
const CREATORS = 16;
/** Payload data per envelope: an endorser transaction with a few endorsements is 2-5 KiB. */
const PAYLOAD_DATA_BYTES = 3 * 1024;
/** Tasks kept in flight per worker: enough that a worker never waits for the main thread. */
const IN_FLIGHT_PER_WORKER = 4;
const CHANNEL = 'benchchannel';

interface Args {
  readonly timeMs: number;
  readonly engine: Engine;
  readonly algorithm: SignatureAlgorithm;
  readonly maxWorkers: number;
}

function argValue(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function parseArgs(): Args {
  const timeMs = Number(argValue('time-ms') ?? 1500);
  if (!Number.isFinite(timeMs) || timeMs < 100 || timeMs > 60_000) throw new RangeError('--time-ms must be in [100, 60000]');
  const engine = (argValue('engine') ?? 'native') as Engine;
  if (engine !== 'native' && engine !== 'native-free') throw new RangeError("--engine must be 'native' or 'native-free'");
  const algorithm = (argValue('algorithm') ?? 'ecdsa-p256') as SignatureAlgorithm;
  if (algorithm !== 'ecdsa-p256' && algorithm !== 'sm2') throw new RangeError("--algorithm must be 'ecdsa-p256' or 'sm2'");
  const maxWorkers = Number(argValue('max-workers') ?? os.availableParallelism());
  if (!Number.isSafeInteger(maxWorkers) || maxWorkers < 1 || maxWorkers > 64) throw new RangeError('--max-workers must be an integer in [1, 64]');
  return { timeMs, engine, algorithm, maxWorkers };
}

function makeEnvelopes(args: Args): { envelopes: Uint8Array[]; context: VerificationContextInput } {
  const provider = createCryptoProvider('native');
  const orgs = [1, 2].map((i) => new DevOrganization({ mspId: `Org${i}MSP`, algorithm: args.algorithm, provider, withIntermediate: i === 1 }));
  const creators = Array.from({ length: CREATORS }, (_, i) => {
    const member = orgs[i % orgs.length]!.issueMember(`client${i}`);
    return { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
  });
  const envelopes = Array.from({ length: ENVELOPES }, (_, i) =>
    createSignedEnvelope({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: CHANNEL,
      txId: `tx-${i}`,
      data: new Uint8Array(PAYLOAD_DATA_BYTES).fill(i & 0xff),
      creator: creators[i % CREATORS]!,
    }),
  );
  const context = { channelId: CHANNEL, engine: args.engine, signatureAlgorithm: args.algorithm, organizations: orgs.map((o) => o.config) };
  return { envelopes, context };
}

function checkAllOk(verdicts: readonly EnvelopeVerdict[]): void {
  for (const v of verdicts) if (!v.ok) throw new Error(`benchmark envelope refused: ${v.code} ${v.reason}`);
}

interface Rates {
  /** Verifies per wall-clock second. */
  readonly wall: number;
  /** Verifies per CPU-second of the whole process (all threads): what the machine's load does not change much. */
  readonly cpu: number;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Verifies/s on this thread through the same VerificationContext the workers use. */
function singleCoreRate(timeMs: number, envelopes: readonly Uint8Array[], input: VerificationContextInput): Rates {
  const context = new VerificationContext({ kind: 'verification', identityCacheEntriesMax: 10_000, ...input });
  const now = new Date();
  checkAllOk(context.verifyAll(envelopes, now)); // warm-up: creators cached, code optimized
  let verified = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < timeMs) {
    const batch = envelopes.slice(verified % ENVELOPES, (verified % ENVELOPES) + 64);
    checkAllOk(context.verifyAll(batch, now));
    verified += batch.length;
  }
  return { wall: (verified * 1000) / (performance.now() - start), cpu: verified / cpuSeconds(cpuStart) };
}

interface PoolRow {
  readonly workers: number;
  readonly batch: number;
  readonly transfer: BatchTransfer;
  readonly rates: Rates;
  /** Single-core rates measured just before and just after this row (mean): the load drifts. */
  readonly singleCore: Rates;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Fraction of the row the main thread's event loop was busy (packing, posting, reading verdicts). */
  readonly mainLoopUtilization: number;
}

/** The pool row bracketed by single-core measurements, so both see the same machine load. */
async function measuredRow(
  args: Args,
  envelopes: readonly Uint8Array[],
  input: VerificationContextInput,
  workers: number,
  batch: number,
  transfer: BatchTransfer,
  niceIncrement = 0,
): Promise<PoolRow> {
  const before = singleCoreRate(args.timeMs / 2, envelopes, input);
  const row = await poolRow(args, envelopes, input, workers, batch, transfer, niceIncrement);
  const after = singleCoreRate(args.timeMs / 2, envelopes, input);
  return { ...row, singleCore: { wall: (before.wall + after.wall) / 2, cpu: (before.cpu + after.cpu) / 2 } };
}

async function poolRow(
  args: Args,
  envelopes: readonly Uint8Array[],
  input: VerificationContextInput,
  workers: number,
  batch: number,
  transfer: BatchTransfer,
  niceIncrement: number,
): Promise<Omit<PoolRow, 'singleCore'>> {
  const pool = new WorkerPool({ maxThreads: workers, batchTransfer: transfer, workerNiceIncrement: niceIncrement });
  try {
    const handle = await pool.registerVerificationContext(input);
    const batches = Array.from({ length: ENVELOPES / batch }, (_, i) => envelopes.slice(i * batch, (i + 1) * batch));
    // Warm-up: every worker builds the context, caches the creators and optimizes.
    await Promise.all(Array.from({ length: workers * 4 }, () => pool.verifyBatch(handle, envelopes.slice(0, Math.max(batch, CREATORS)))));

    const delay = monitorEventLoopDelay({ resolution: 1 });
    let verified = 0;
    let next = 0;
    const cpuStart = process.cpuUsage();
    const eluStart = performance.eventLoopUtilization();
    const start = performance.now();
    delay.enable();
    const lane = async (): Promise<void> => {
      while (performance.now() - start < args.timeMs) {
        const b = batches[next++ % batches.length]!;
        checkAllOk(await pool.verifyBatch(handle, b));
        verified += b.length;
      }
    };
    await Promise.all(Array.from({ length: workers * IN_FLIGHT_PER_WORKER }, lane));
    const elapsedMs = performance.now() - start;
    const elu = performance.eventLoopUtilization(eluStart);
    delay.disable();
    return {
      workers,
      batch,
      transfer,
      rates: { wall: (verified * 1000) / elapsedMs, cpu: verified / cpuSeconds(cpuStart) },
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      mainLoopUtilization: elu.utilization,
    };
  } finally {
    await pool.close();
  }
}

const HASH_BLOCK_ENTRIES = 256;
const HASH_BLOCK_ENTRY_BYTES = 4096;

/**
 * dataHash of 1 MiB blocks (256 x 4 KiB entries), pool saturated: where a
 * transfer saves the main thread a copy that a clone makes while posting.
 */
async function hashRow(args: Args, workers: number, transfer: BatchTransfer): Promise<string> {
  const pool = new WorkerPool({ maxThreads: workers, batchTransfer: transfer });
  try {
    const data = Array.from({ length: HASH_BLOCK_ENTRIES }, (_, i) => new Uint8Array(HASH_BLOCK_ENTRY_BYTES).fill(i & 0xff));
    await Promise.all(Array.from({ length: workers * 2 }, () => pool.dataHash(args.engine, 'sha256', data)));
    let blocks = 0;
    const eluStart = performance.eventLoopUtilization();
    const start = performance.now();
    const lane = async (): Promise<void> => {
      while (performance.now() - start < args.timeMs) {
        await pool.dataHash(args.engine, 'sha256', data);
        blocks++;
      }
    };
    await Promise.all(Array.from({ length: workers * IN_FLIGHT_PER_WORKER }, lane));
    const elapsedMs = performance.now() - start;
    const elu = performance.eventLoopUtilization(eluStart);
    const mib = (blocks * HASH_BLOCK_ENTRIES * HASH_BLOCK_ENTRY_BYTES) / (1024 * 1024);
    return (
      `${String(workers).padStart(7)}  ${transfer.padEnd(8)}  ${fmt(blocks / (elapsedMs / 1000))} blocks/s  ${fmt(mib / (elapsedMs / 1000))} MiB/s` +
      `   main busy ${pct(elu.utilization)}, ${((elu.active * 1000) / blocks).toFixed(0).padStart(5)} us per block`
    );
  } finally {
    await pool.close();
  }
}

/** Event-loop delay p99 of this thread doing nothing, for scale on a loaded machine. */
async function idleLoopDelayP99Ms(timeMs: number): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, timeMs));
  delay.disable();
  return delay.percentile(99) / 1e6;
}

function uptimeLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch (error) {
    return `uptime unavailable (${(error as Error).message})`;
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
const pct = (n: number): string => `${(n * 100).toFixed(0)}%`.padStart(5);

async function main(): Promise<void> {
  const args = parseArgs();
  console.log(`bench:pool  ${describeMachine()}`);
  console.log(`load before: ${uptimeLine()}`);
  console.log(
    `verifyBatch, ${args.engine} engine, ${args.algorithm}, ${ENVELOPES} envelopes of ~${PAYLOAD_DATA_BYTES + 1000} B from ${CREATORS} creators, ${args.timeMs} ms per row`,
  );
  const { envelopes, context } = makeEnvelopes(args);

  const single = singleCoreRate(args.timeMs, envelopes, context);
  console.log(`single-core (this thread, same code path): ${fmt(single.wall)} verifies/s, ${fmt(single.cpu)} per CPU-second`);
  const idleP99 = await idleLoopDelayP99Ms(Math.min(args.timeMs, 1000));
  console.log(`event-loop delay p99 while idle: ${idleP99.toFixed(2)} ms`);
  console.log('Each row is bracketed by single-core runs of half its length; the fractions use their mean.');
  console.log('"of W x single": verifies/s over workers x single-core verifies/s (wall clock, what the issue asks; at the mercy of the load).');
  console.log('"CPU efficiency": verifies per process CPU-second (main thread + workers) over the single-core verifies per CPU-second;');
  console.log('  on an otherwise idle machine with W <= cores, "of W x single" tends to it.');

  console.log('"main busy": fraction of the row the main thread\'s event loop was busy (all the pool costs the thread that keeps Raft\'s clock).\n');
  console.log('workers  batch  transfer   verifies/s  single-core  of W x single  CPU efficiency  main busy  loop p99 ms  loop max ms');
  const print = (r: PoolRow): void =>
    console.log(
      `${String(r.workers).padStart(7)}  ${String(r.batch).padStart(5)}  ${r.transfer.padEnd(8)}  ${fmt(r.rates.wall)}    ${fmt(r.singleCore.wall)}` +
        `          ${pct(r.rates.wall / (r.workers * r.singleCore.wall))}           ${pct(r.rates.cpu / r.singleCore.cpu)}      ${pct(r.mainLoopUtilization)}       ${r.loopDelayP99Ms.toFixed(2).padStart(6)}       ${r.loopDelayMaxMs.toFixed(2).padStart(6)}`,
    );
  for (let workers = 1; workers <= args.maxWorkers; workers++) {
    for (const batch of BATCH_SIZES) print(await measuredRow(args, envelopes, context, workers, batch, 'transfer'));
  }

  console.log('\nbatch transfer mode (packed buffer handed over vs structured-cloned), all workers:');
  for (const batch of [64, 256]) {
    for (const transfer of ['transfer', 'clone'] as const) print(await measuredRow(args, envelopes, context, args.maxWorkers, batch, transfer));
  }
  console.log('\nworker priority: all workers at nice +10 (main thread favoured), batch 256:');
  print(await measuredRow(args, envelopes, context, args.maxWorkers, 256, 'transfer', 10));

  console.log(`\ndataHash (sha256, ${args.engine}) of 1 MiB blocks (${HASH_BLOCK_ENTRIES} x ${HASH_BLOCK_ENTRY_BYTES} B), all workers, transfer vs clone:`);
  for (const transfer of ['transfer', 'clone'] as const) console.log(await hashRow(args, args.maxWorkers, transfer));
  console.log(`\nload after: ${uptimeLine()}`);
  console.log('Target: >= 85% of workers x single-core at batch >= 64, loop p99 < 5 ms while saturated.');
}

await main();
