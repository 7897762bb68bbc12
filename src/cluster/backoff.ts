// Reconnect delays: exponential from `minMs` to `maxMs`, with "equal jitter"
// (half fixed, half random) so nodes that lost the same peer at the same
// moment do not all redial it in lock step.

import assert from 'node:assert/strict';

export class ReconnectBackoff {
  /** Invariant: 0 <= #failures; the next delay's base is minMs * 2^#failures, capped at maxMs. */
  #failures = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
    /** Uniform in [0, 1); injectable so tests can pin the jitter. */
    readonly random: () => number = Math.random,
  ) {
    assert.ok(minMs >= 1 && maxMs >= minMs, `backoff bounds ${minMs}..${maxMs} are not 1 <= min <= max`);
  }

  /** Delay before the next attempt, in ms; each call counts one more failure. Always in [minMs/2, maxMs]. */
  nextDelayMs(): number {
    // 2^30 already exceeds any sane maxMs / minMs ratio; stop the exponent growing.
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    const delay = base / 2 + (base / 2) * this.random();
    assert.ok(delay >= this.minMs / 2 && delay <= this.maxMs, `backoff delay ${delay} out of bounds`);
    return Math.round(delay);
  }

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** A stream was established: the next failure starts from minMs again. */
  reset(): void {
    this.#failures = 0;
  }
}
