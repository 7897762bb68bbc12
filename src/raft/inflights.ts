import { assert } from './assert.js';

/**
 * Flow control for one follower in StateReplicate: the MsgApp messages sent
 * but not yet acknowledged, each remembered by the index of its last entry.
 * Full when `maxCount` messages or `maxBytes` bytes are in flight.
 *
 * A ring buffer that grows (doubling, up to maxCount) and is reused: adding
 * and freeing allocate nothing in the steady state.
 * Invariants: 0 <= count <= maxCount; indexes in the ring strictly increase.
 */
export class Inflights {
  #indexes: Float64Array = new Float64Array(0);
  #bytes: Float64Array = new Float64Array(0);
  /** Ring position of the oldest message in flight. */
  #start = 0;
  #count = 0;
  #totalBytes = 0;

  constructor(
    readonly maxCount: number,
    /** 0 or Infinity = no byte limit. */
    readonly maxBytes: number,
  ) {
    assert(Number.isSafeInteger(maxCount) && maxCount > 0, 'inflights: maxCount must be a positive integer');
  }

  /** Records a message whose last entry is `index`, carrying `bytes` of entry data. */
  add(index: number, bytes: number): void {
    assert(!this.full(), 'cannot add into a Full inflights');
    if (this.#count > 0) {
      const lastIndex = this.#indexes[(this.#start + this.#count - 1) % this.#indexes.length]!;
      assert(lastIndex < index, () => `inflights: index ${index} not increasing (last ${lastIndex})`);
    }
    if (this.#count === this.#indexes.length) this.#grow();
    const at = (this.#start + this.#count) % this.#indexes.length;
    this.#indexes[at] = index;
    this.#bytes[at] = bytes;
    this.#count++;
    this.#totalBytes += bytes;
  }

  #grow(): void {
    const capacity = Math.min(Math.max(1, this.#indexes.length * 2), this.maxCount);
    const indexes = new Float64Array(capacity);
    const bytes = new Float64Array(capacity);
    for (let i = 0; i < this.#count; i++) {
      const from = (this.#start + i) % this.#indexes.length;
      indexes[i] = this.#indexes[from]!;
      bytes[i] = this.#bytes[from]!;
    }
    this.#indexes = indexes;
    this.#bytes = bytes;
    this.#start = 0;
  }

  /** Frees every message whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    const capacity = this.#indexes.length;
    while (this.#count > 0 && this.#indexes[this.#start]! <= to) {
      this.#totalBytes -= this.#bytes[this.#start]!;
      this.#start = (this.#start + 1) % capacity;
      this.#count--;
    }
    if (this.#count === 0) this.#start = 0;
  }

  full(): boolean {
    return this.#count === this.maxCount || (this.maxBytes !== 0 && this.#totalBytes >= this.maxBytes);
  }

  count(): number {
    return this.#count;
  }

  bytes(): number {
    return this.#totalBytes;
  }

  reset(): void {
    this.#start = 0;
    this.#count = 0;
    this.#totalBytes = 0;
  }

  clone(): Inflights {
    const c = new Inflights(this.maxCount, this.maxBytes);
    c.#indexes = this.#indexes.slice();
    c.#bytes = this.#bytes.slice();
    c.#start = this.#start;
    c.#count = this.#count;
    c.#totalBytes = this.#totalBytes;
    return c;
  }
}
