// Gathers envelopes submitted concurrently into verifyBatch calls, so the pool
// sees batches, not single envelopes. Adaptive: at most `tasksInFlightMax`
// calls run at once; envelopes arriving meanwhile wait and go out together
// when a call returns, so batches grow with the load instead of the pool's
// queue. What waits is spread evenly over the compute's threads (a burst of
// 300 on two threads is two calls of 150, not 256 + 44, which would leave one
// core idle for most of the burst), with at least `batchMin` envelopes per
// call so a call's fixed cost stays small beside its verifications.
// Bounded: at most `batchMax` envelopes per call and `waitingMax` waiting;
// beyond that verify()/verifyAll() refuse with SERVICE_UNAVAILABLE.

import assert from 'node:assert/strict';
import type { ChainCompute, EnvelopeVerdict, VerificationContext } from '../compute/compute.js';
import { ServiceUnavailableError } from '../errors.js';

export interface VerifyBatcherLimits {
  /** Envelopes per verifyBatch call, at most (the pool's sweet spot is 64-256). */
  readonly batchMax: number;
  /** Envelopes per verifyBatch call when waiting envelopes are split over threads, at least. */
  readonly batchMin: number;
  /** verifyBatch calls of this channel running at once, at most. */
  readonly tasksInFlightMax: number;
  /** Envelopes waiting for a call, at most. */
  readonly waitingMax: number;
}

export const VERIFY_BATCHER_DEFAULTS: VerifyBatcherLimits = Object.freeze({ batchMax: 256, batchMin: 16, tasksInFlightMax: 4, waitingMax: 16 * 256 });

/** Envelopes waiting for one verdict each; the group is answered at once. */
interface Group {
  readonly envelopes: readonly Uint8Array[];
  readonly verdicts: EnvelopeVerdict[];
  /** Envelopes of the group not judged yet. */
  left: number;
  failed: boolean;
  resolve(verdicts: EnvelopeVerdict[]): void;
  reject(err: unknown): void;
}

/** Envelopes [start, end) of a group, waiting for a call (one object per group, not per envelope). */
interface Segment {
  readonly group: Group;
  readonly start: number;
  readonly end: number;
}

export class VerifyBatcher {
  /** In arrival order; #waiting[#head] is the first. */
  #waiting: Segment[] = [];
  #head = 0;
  /** Envelopes in #waiting. Invariant: <= limits.waitingMax. */
  #waitingCount = 0;
  #flushScheduled = false;
  /** Invariant: <= limits.tasksInFlightMax. */
  #tasksInFlight = 0;
  /** Threads a flush spreads its calls over. */
  readonly #threads: number;

  constructor(
    private readonly compute: ChainCompute,
    private readonly context: VerificationContext,
    private readonly limits: VerifyBatcherLimits = VERIFY_BATCHER_DEFAULTS,
  ) {
    for (const [name, value] of Object.entries(limits)) assert(Number.isSafeInteger(value) && value > 0, `${name} must be a positive integer`);
    assert(limits.batchMin <= limits.batchMax, 'batchMin must not exceed batchMax');
    this.#threads = Math.max(1, Math.min(compute.threads ?? 1, limits.tasksInFlightMax));
  }

  verify(envelope: Uint8Array): Promise<EnvelopeVerdict> {
    return this.verifyAll([envelope]).then((verdicts) => verdicts[0]!);
  }

  /**
   * One verdict per envelope, in order, all at once (one promise for a
   * client's read burst). Refused whole when they do not all fit in the wait.
   */
  verifyAll(envelopes: readonly Uint8Array[]): Promise<EnvelopeVerdict[]> {
    if (envelopes.length === 0) return Promise.resolve([]);
    if (this.#waitingCount + envelopes.length > this.limits.waitingMax) {
      return Promise.reject(
        new ServiceUnavailableError(`${this.limits.waitingMax} envelopes are already waiting for verification on channel "${this.context.channelId}"`),
      );
    }
    return new Promise<EnvelopeVerdict[]>((resolve, reject) => {
      const group: Group = { envelopes, verdicts: new Array(envelopes.length), left: envelopes.length, failed: false, resolve, reject };
      this.#waiting.push({ group, start: 0, end: envelopes.length });
      this.#waitingCount += envelopes.length;
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // setImmediate: after the current I/O callbacks, so every submit that
        // arrived in this turn (one gRPC read burst) lands in the same batch.
        setImmediate(() => {
          this.#flushScheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const { batchMax, batchMin, tasksInFlightMax } = this.limits;
    while (this.#waitingCount > 0 && this.#tasksInFlight < tasksInFlightMax) {
      // Calls this flush makes: enough for batchMax, spread over the threads not yet busy, each at least batchMin.
      const waiting = this.#waitingCount;
      const free = tasksInFlightMax - this.#tasksInFlight;
      const idleThreads = Math.max(1, this.#threads - this.#tasksInFlight);
      const calls = Math.min(free, Math.max(Math.ceil(waiting / batchMax), Math.min(idleThreads, Math.floor(waiting / batchMin))));
      this.#call(this.#take(Math.min(batchMax, Math.ceil(waiting / Math.max(1, calls)))));
    }
  }

  /** The first `count` waiting envelopes, as segments (the last one split if it runs past). */
  #take(count: number): Segment[] {
    const taken: Segment[] = [];
    let left = count;
    while (left > 0) {
      const first = this.#waiting[this.#head]!;
      const size = first.end - first.start;
      if (size <= left) {
        taken.push(first);
        this.#waiting[this.#head++] = undefined as unknown as Segment;
        left -= size;
      } else {
        taken.push({ group: first.group, start: first.start, end: first.start + left });
        this.#waiting[this.#head] = { group: first.group, start: first.start + left, end: first.end };
        left = 0;
      }
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
    this.#waitingCount -= count;
    return taken;
  }

  #call(batch: readonly Segment[]): void {
    this.#tasksInFlight++;
    const envelopes: Uint8Array[] = [];
    for (const { group, start, end } of batch) for (let i = start; i < end; i++) envelopes.push(group.envelopes[i]!);
    this.compute.verifyBatch(this.context, envelopes).then(
      (verdicts) => {
        this.#tasksInFlight--;
        assert.equal(verdicts.length, envelopes.length, 'verifyBatch must return one verdict per envelope');
        let at = 0;
        for (const { group, start, end } of batch) {
          for (let i = start; i < end; i++) group.verdicts[i] = verdicts[at++]!;
          group.left -= end - start;
          if (group.left === 0 && !group.failed) group.resolve(group.verdicts);
        }
        this.#flush();
      },
      (err: unknown) => {
        this.#tasksInFlight--;
        for (const { group } of batch) {
          if (group.failed) continue;
          group.failed = true;
          group.reject(err);
        }
        this.#flush();
      },
    );
  }
}
