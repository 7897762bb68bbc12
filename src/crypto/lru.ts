// A bounded least-recently-used map (Map keeps insertion order; a hit
// re-inserts the key at the young end, eviction takes the oldest).

import assert from 'node:assert/strict';

export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  /** Invariant: 0 <= size <= maxEntries. */
  constructor(readonly maxEntries: number) {
    assert.ok(Number.isSafeInteger(maxEntries) && maxEntries > 0, 'LruCache: maxEntries must be a positive integer');
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, marked most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      assert.ok(!oldest.done);
      this.#entries.delete(oldest.value);
    }
    assert.ok(this.#entries.size <= this.maxEntries);
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
