// A bounded ring of the most recent simulation events. When an invariant
// breaks, the tail of this log is what a human reads first, next to the seed.

import assert from 'node:assert/strict';

export class EventLog {
  readonly #capacity: number;
  /** Invariant: length <= #capacity; #next is the slot the next event overwrites. */
  readonly #ring: string[] = [];
  #next = 0;
  /** Events recorded since the start, including those already overwritten. */
  #total = 0;

  constructor(capacity: number) {
    assert.ok(Number.isSafeInteger(capacity) && capacity > 0, `capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  record(event: string): void {
    if (this.#ring.length < this.#capacity) this.#ring.push(event);
    else this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#capacity;
    this.#total++;
  }

  get total(): number {
    return this.#total;
  }

  /** The last `count` events, oldest first. */
  tail(count: number): string[] {
    const ordered = this.#ring.length < this.#capacity ? this.#ring.slice() : [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return ordered.slice(Math.max(0, ordered.length - count));
  }
}
