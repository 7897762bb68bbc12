// Gathers envelopes submitted concurrently into verifyBatch calls, so the pool
// sees batches, not single envelopes. Adaptive: at most `tasksInFlightMax`
// calls run at once; envelopes arriving meanwhile wait and go out together
// when a call returns, so batches grow with the load instead of the pool's
// queue. Bounded: at most `batchMax` envelopes per call and `waitingMax`
// waiting; beyond that verify() refuses with SERVICE_UNAVAILABLE.

import assert from 'node:assert/strict';
import type { ChainCompute, EnvelopeVerdict, VerificationContext } from '../compute/compute.js';
import { ServiceUnavailableError } from '../errors.js';

export interface VerifyBatcherLimits {
  /** Envelopes per verifyBatch call, at most (the pool's sweet spot is 64-256). */
  readonly batchMax: number;
  /** verifyBatch calls of this channel running at once, at most. */
  readonly tasksInFlightMax: number;
  /** Envelopes waiting for a call, at most. */
  readonly waitingMax: number;
}

export const VERIFY_BATCHER_DEFAULTS: VerifyBatcherLimits = Object.freeze({ batchMax: 256, tasksInFlightMax: 4, waitingMax: 16 * 256 });

interface Waiting {
  readonly envelope: Uint8Array;
  resolve(verdict: EnvelopeVerdict): void;
  reject(err: unknown): void;
}

export class VerifyBatcher {
  /** Invariant: length <= limits.waitingMax. */
  #waiting: Waiting[] = [];
  #flushScheduled = false;
  /** Invariant: <= limits.tasksInFlightMax. */
  #tasksInFlight = 0;

  constructor(
    private readonly compute: ChainCompute,
    private readonly context: VerificationContext,
    private readonly limits: VerifyBatcherLimits = VERIFY_BATCHER_DEFAULTS,
  ) {
    for (const [name, value] of Object.entries(limits)) assert(Number.isSafeInteger(value) && value > 0, `${name} must be a positive integer`);
  }

  verify(envelope: Uint8Array): Promise<EnvelopeVerdict> {
    if (this.#waiting.length >= this.limits.waitingMax) {
      return Promise.reject(
        new ServiceUnavailableError(`${this.limits.waitingMax} envelopes are already waiting for verification on channel "${this.context.channelId}"`),
      );
    }
    return new Promise<EnvelopeVerdict>((resolve, reject) => {
      this.#waiting.push({ envelope, resolve, reject });
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
    while (this.#waiting.length > 0 && this.#tasksInFlight < this.limits.tasksInFlightMax) {
      const batch = this.#waiting.splice(0, this.limits.batchMax);
      this.#tasksInFlight++;
      this.compute
        .verifyBatch(
          this.context,
          batch.map((w) => w.envelope),
        )
        .then(
          (verdicts) => {
            assert.equal(verdicts.length, batch.length, 'verifyBatch must return one verdict per envelope');
            batch.forEach((w, i) => w.resolve(verdicts[i]!));
          },
          (err: unknown) => {
            for (const w of batch) w.reject(err);
          },
        )
        .finally(() => {
          this.#tasksInFlight--;
          this.#flush();
        });
    }
  }
}
