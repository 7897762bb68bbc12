// Gathers envelopes submitted concurrently (within one turn of the event loop)
// into one verifyBatch call, so the pool sees batches, not single envelopes.
// Bounded: at most `batchMax` envelopes per call; callers beyond wait for the
// next call of the same flush.

import assert from 'node:assert/strict';
import type { ChainCompute, EnvelopeVerdict, VerificationContext } from './compute.js';

/** Envelopes per verifyBatch call, at most (the pool's sweet spot is 64-256). */
export const VERIFY_BATCH_MAX = 256;

interface Waiting {
  readonly envelope: Uint8Array;
  resolve(verdict: EnvelopeVerdict): void;
  reject(err: unknown): void;
}

export class VerifyBatcher {
  /** Invariant: empty whenever no flush is scheduled. */
  #waiting: Waiting[] = [];
  #flushScheduled = false;

  constructor(
    private readonly compute: ChainCompute,
    private readonly context: VerificationContext,
    private readonly batchMax: number = VERIFY_BATCH_MAX,
  ) {
    assert(Number.isSafeInteger(batchMax) && batchMax > 0, 'batchMax must be a positive integer');
  }

  verify(envelope: Uint8Array): Promise<EnvelopeVerdict> {
    return new Promise<EnvelopeVerdict>((resolve, reject) => {
      this.#waiting.push({ envelope, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // setImmediate: after the current I/O callbacks, so every submit that
        // arrived in this turn (one gRPC read burst) lands in the same batch.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const all = this.#waiting;
    this.#waiting = [];
    for (let start = 0; start < all.length; start += this.batchMax) {
      const batch = all.slice(start, start + this.batchMax);
      this.compute.verifyBatch(this.context, batch.map((w) => w.envelope)).then(
        (verdicts) => {
          assert.equal(verdicts.length, batch.length, 'verifyBatch must return one verdict per envelope');
          batch.forEach((w, i) => w.resolve(verdicts[i]!));
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      );
    }
  }
}
