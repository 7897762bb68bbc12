// Group commit across channels: every submission (one Ready's ops, one block)
// waits in a queue; one sync at a time writes everything queued, atomically,
// then resolves all of it. Submissions that arrive while a sync is in progress
// ride the next one, so under load syncs/s stay flat while ops/s grow.

import assert from 'node:assert/strict';
import { StorageFailedError } from './errors.js';
import type { SyncStats } from './syncStats.js';
import { opBytes, type WalOp } from './walOps.js';

/** The engine's side: make `ops` durable, all or nothing; resolve only once on disk. */
export interface BatchWriter {
  writeBatch(ops: readonly WalOp[]): Promise<void>;
}

export interface SyncInfo {
  /** 1-based number of this sync. */
  readonly syncNumber: number;
  readonly submissions: number;
}

export interface GroupCommitOptions {
  /** A batch stops taking submissions past this many bytes (one submission always fits). */
  readonly batchMaxBytes: number;
  /** Milliseconds, monotonic; injectable so tests can make a sync look slow without sleeping. */
  readonly clock: () => number;
  /** Awaited inside every timed sync, before the write: tests gate or slow syncs with it. */
  readonly syncHook?: ((info: SyncInfo) => Promise<void>) | undefined;
}

/**
 * Submissions waiting for a sync. The Ready loop awaits each persistReady and
 * the chain bounds blocks in flight, so the queue holds a few per channel; a
 * million means a caller stopped awaiting: a programmer error.
 */
const queueMax = 1_000_000;

enum CommitterState {
  /** Nothing queued, nothing in flight. */
  Idle,
  /** A sync will start on the next event-loop turn (so a burst of submissions shares it). */
  Scheduled,
  Syncing,
  /** A write failed: the disk may be behind memory, every later submission is refused. */
  Failed,
  Closed,
}

interface Pending {
  readonly ops: readonly WalOp[];
  readonly bytes: number;
  readonly channels: readonly string[];
  resolve(): void;
  reject(err: Error): void;
}

export class GroupCommitter {
  #state = CommitterState.Idle;
  #queue: Pending[] = [];
  #failure: Error | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(
    private readonly writer: BatchWriter,
    private readonly stats: SyncStats,
    private readonly options: GroupCommitOptions,
  ) {
    assert(options.batchMaxBytes > 0, 'batchMaxBytes must be positive');
  }

  /** Resolves when `ops` are durable; rejects with StorageFailedError if they never will be. */
  submit(ops: readonly WalOp[]): Promise<void> {
    if (this.#state === CommitterState.Failed || this.#state === CommitterState.Closed) {
      return Promise.reject(this.#refusal());
    }
    if (ops.length === 0) return Promise.resolve();
    assert(this.#queue.length < queueMax, `more than ${queueMax} WAL submissions queued: writers are not awaiting their writes`);
    return new Promise<void>((resolve, reject) => {
      let bytes = 0;
      const channels = new Set<string>();
      for (const op of ops) {
        bytes += opBytes(op);
        channels.add(op.channel);
      }
      this.#queue.push({ ops, bytes, channels: [...channels], resolve, reject });
      if (this.#state === CommitterState.Idle) this.#schedule();
    });
  }

  /** Resolves once everything submitted so far is durable (or failed). */
  whenIdle(): Promise<void> {
    if (this.#state !== CommitterState.Scheduled && this.#state !== CommitterState.Syncing) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Finishes what is queued, then refuses further submissions. */
  async close(): Promise<void> {
    await this.whenIdle();
    if (this.#state !== CommitterState.Failed) this.#state = CommitterState.Closed;
  }

  /** Submissions waiting for the next sync (a gauge for metrics). */
  get queuedSubmissions(): number {
    return this.#queue.length;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  #schedule(): void {
    this.#state = CommitterState.Scheduled;
    setImmediate(() => void this.#syncLoop());
  }

  async #syncLoop(): Promise<void> {
    assert.equal(this.#state, CommitterState.Scheduled);
    this.#state = CommitterState.Syncing;
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      const ok = await this.#syncOnce(batch);
      if (!ok) return;
      // One event-loop turn before the next sync: the writers this sync just
      // released resubmit in their continuations and join it, instead of the
      // next sync leaving with only the leftovers of a full batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#state = CommitterState.Idle;
    this.#wakeIdleWaiters();
  }

  #takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && (n === 0 || bytes + this.#queue[n]!.bytes <= this.options.batchMaxBytes)) {
      bytes += this.#queue[n]!.bytes;
      n += 1;
    }
    return this.#queue.splice(0, n);
  }

  async #syncOnce(batch: readonly Pending[]): Promise<boolean> {
    const ops: WalOp[] = [];
    const channels = new Set<string>();
    for (const p of batch) {
      for (const op of p.ops) ops.push(op);
      for (const c of p.channels) channels.add(c);
    }
    const started = this.options.clock();
    try {
      await this.options.syncHook?.({ syncNumber: this.stats.syncCount + 1, submissions: batch.length });
      await this.writer.writeBatch(ops);
    } catch (err) {
      this.stats.record(this.options.clock() - started, batch.length, [...channels]);
      this.#fail(err, batch);
      return false;
    }
    this.stats.record(this.options.clock() - started, batch.length, [...channels]);
    for (const p of batch) p.resolve();
    return true;
  }

  #fail(err: unknown, batch: readonly Pending[]): void {
    this.#state = CommitterState.Failed;
    this.#failure = new StorageFailedError(`WAL write failed, storage is stopped: ${String(err)}`, { cause: err });
    for (const p of batch) p.reject(this.#failure);
    for (const p of this.#queue.splice(0)) p.reject(this.#failure);
    this.#wakeIdleWaiters();
  }

  #refusal(): Error {
    return this.#failure ?? new StorageFailedError('WAL environment is closed');
  }

  #wakeIdleWaiters(): void {
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}
