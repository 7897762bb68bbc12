// Options of the worker pool: what a caller may give (WorkerPoolOptions) and
// what the pool runs with (FilledPoolOptions), validated once at the boundary
// with messages that name the option.

import os from 'node:os';
import { PoolOptionsError } from './errors.js';
import { PACKED_BYTES_MAX } from './packedBytes.js';

/** How a batch's packed bytes reach a worker: handed over (zero-copy) or cloned. */
export type BatchTransfer = 'transfer' | 'clone';

export interface WorkerPoolOptions {
  /** Worker threads at most; default os.availableParallelism(). */
  readonly maxThreads?: number;
  /** Threads kept alive when idle; default maxThreads (a thread started on the hot path costs tens of ms). */
  readonly minThreads?: number;
  /** Tasks waiting for a free worker before submissions are refused (PoolOverloadedError); default 64 per thread. */
  readonly queueTasksMax?: number;
  /** Envelopes (or block entries) in one task at most; default 4096. */
  readonly batchEntriesMax?: number;
  /** Bytes of one task's packed batch at most; default 64 MiB. */
  readonly batchBytesMax?: number;
  /** Default 'transfer'; 'clone' exists to measure the difference. */
  readonly batchTransfer?: BatchTransfer;
  /** How long close() waits for running tasks before terminating threads; default 30 000 ms. */
  readonly closeTimeoutMs?: number;
  /**
   * Added to the workers' nice value (Linux; 0..19, default 0): a positive value lets the main
   * thread, which keeps Raft's clock, win the CPU over crypto when cores are contended.
   */
  readonly workerNiceIncrement?: number;
}

export interface FilledPoolOptions {
  readonly maxThreads: number;
  readonly minThreads: number;
  readonly queueTasksMax: number;
  readonly batchEntriesMax: number;
  readonly batchBytesMax: number;
  readonly batchTransfer: BatchTransfer;
  readonly closeTimeoutMs: number;
  readonly workerNiceIncrement: number;
}

/** A pool larger than this is a configuration mistake on any machine we target. */
export const THREADS_MAX = 256;
export const QUEUE_TASKS_PER_THREAD_DEFAULT = 64;
export const QUEUE_TASKS_MAX = 1_000_000;
export const BATCH_ENTRIES_MAX_DEFAULT = 4096;
export const BATCH_ENTRIES_LIMIT = 1 << 20;
export const BATCH_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const CLOSE_TIMEOUT_MS_DEFAULT = 30_000;

function integerOption(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const kind = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new PoolOptionsError(`options.${name} must be ${kind} (at most ${max}), got ${String(value)}`);
  }
  return value;
}

export function fillPoolOptions(options: WorkerPoolOptions = {}): FilledPoolOptions {
  const maxThreads = integerOption('maxThreads', options.maxThreads ?? os.availableParallelism(), 1, THREADS_MAX);
  const minThreads = integerOption('minThreads', options.minThreads ?? maxThreads, 0, maxThreads);
  const batchTransfer = options.batchTransfer ?? 'transfer';
  if (batchTransfer !== 'transfer' && batchTransfer !== 'clone') {
    throw new PoolOptionsError(`options.batchTransfer must be 'transfer' or 'clone', got ${String(batchTransfer)}`);
  }
  return {
    maxThreads,
    minThreads,
    queueTasksMax: integerOption('queueTasksMax', options.queueTasksMax ?? maxThreads * QUEUE_TASKS_PER_THREAD_DEFAULT, 1, QUEUE_TASKS_MAX),
    batchEntriesMax: integerOption('batchEntriesMax', options.batchEntriesMax ?? BATCH_ENTRIES_MAX_DEFAULT, 1, BATCH_ENTRIES_LIMIT),
    batchBytesMax: integerOption('batchBytesMax', options.batchBytesMax ?? BATCH_BYTES_MAX_DEFAULT, 1, PACKED_BYTES_MAX),
    batchTransfer,
    closeTimeoutMs: integerOption('closeTimeoutMs', options.closeTimeoutMs ?? CLOSE_TIMEOUT_MS_DEFAULT, 1, 3_600_000),
    workerNiceIncrement: integerOption('workerNiceIncrement', options.workerNiceIncrement ?? 0, 0, 19),
  };
}
