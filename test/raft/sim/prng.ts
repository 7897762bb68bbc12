// The one source of randomness of a simulation run. Every choice (faults,
// delays, client proposals, the RawNodes' randomized election timeouts) draws
// from a single generator, so a seed replays the whole run exactly.
//
// The generator is mulberry32: 32 bits of state, full period 2^32, fast and
// plenty random for scheduling decisions (it is not, and need not be,
// cryptographic).

import assert from 'node:assert/strict';

export class Prng {
  /** Invariant: a uint32. */
  #state: number;

  constructor(seed: number) {
    assert.ok(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
    // Fold the high bits in so that seeds above 2^32 do not collide trivially.
    this.#state = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    assert.ok(Number.isSafeInteger(maxExclusive) && maxExclusive > 0, `maxExclusive must be a positive integer, got ${maxExclusive}`);
    return Math.floor(this.next() * maxExclusive);
  }

  /** An integer in [lo, hi] (both inclusive). */
  between(lo: number, hi: number): number {
    assert.ok(lo <= hi, `empty range [${lo}, ${hi}]`);
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p` (p in [0, 1]). */
  chance(p: number): boolean {
    assert.ok(p >= 0 && p <= 1, `probability must be in [0, 1], got ${p}`);
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    assert.ok(items.length > 0, 'cannot pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** A Fisher-Yates shuffle of a copy of `items`. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
