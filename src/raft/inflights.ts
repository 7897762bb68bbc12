import { assert } from './assert.js';

/**
 * Flow control for one follower in StateReplicate: the MsgApp messages sent
 * but not yet acknowledged, each remembered by the index of its last entry.
 * Full when `maxCount` messages or `maxBytes` bytes are in flight.
 * Invariants: indexes are strictly increasing; count <= maxCount.
 */
export class Inflights {
  /** Queue of in-flight messages; live part is [#start, #indexes.length). */
  #indexes: number[] = [];
  #bytes: number[] = [];
  #start = 0;
  #totalBytes = 0;

  constructor(
    readonly maxCount: number,
    /** 0 or Infinity = no byte limit. */
    readonly maxBytes: number,
  ) {
    assert(maxCount > 0, 'inflights: maxCount must be positive');
  }

  /** Records a message whose last entry is `index`, carrying `bytes` of entry data. */
  add(index: number, bytes: number): void {
    assert(!this.full(), 'cannot add into a Full inflights');
    const n = this.#indexes.length;
    assert(n === this.#start || this.#indexes[n - 1]! < index, () => `inflights: index ${index} not increasing`);
    this.#indexes.push(index);
    this.#bytes.push(bytes);
    this.#totalBytes += bytes;
  }

  /** Frees every message whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    let i = this.#start;
    while (i < this.#indexes.length && this.#indexes[i]! <= to) {
      this.#totalBytes -= this.#bytes[i]!;
      i++;
    }
    this.#start = i;
    if (this.#start === this.#indexes.length) {
      this.reset();
    } else if (this.#start > 64 && this.#start * 2 > this.#indexes.length) {
      // Drop the freed prefix so the arrays stay bounded by the live count.
      this.#indexes = this.#indexes.slice(this.#start);
      this.#bytes = this.#bytes.slice(this.#start);
      this.#start = 0;
    }
  }

  full(): boolean {
    return this.count() === this.maxCount || (this.maxBytes !== 0 && this.#totalBytes >= this.maxBytes);
  }

  count(): number {
    return this.#indexes.length - this.#start;
  }

  bytes(): number {
    return this.#totalBytes;
  }

  reset(): void {
    this.#indexes = [];
    this.#bytes = [];
    this.#start = 0;
    this.#totalBytes = 0;
  }

  clone(): Inflights {
    const c = new Inflights(this.maxCount, this.maxBytes);
    c.#indexes = this.#indexes.slice(this.#start);
    c.#bytes = this.#bytes.slice(this.#start);
    c.#totalBytes = this.#totalBytes;
    return c;
  }
}
