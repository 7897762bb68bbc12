// A bounded LRU keyed by (tag, bytes) — an MSP id and a ~1 KiB creator
// certificate — without building a string of the bytes per lookup (that was
// ~2% of a worker's time, one 1 KiB string per envelope). The map is keyed by
// a 32-bit digest of tag and bytes; a hit is confirmed by comparing the tag and
// the full bytes with the stored copy, so a digest collision only costs a miss
// (the newer key takes the slot), never another key's value.
//
// The most recently used slot is checked first, on its bytes alone: a stream
// of envelopes from one creator (the common case, a client's burst) then costs
// one memcmp per lookup, no digest of the ~1 KiB certificate and no LRU
// reordering (it is already the youngest). That digest was ~2% of a pool
// worker's CPU, two lookups per envelope (creator, then its public key).

import assert from 'node:assert/strict';
import { LruCache } from './lru.js';

interface Slot<V> {
  readonly tag: string;
  /** A private copy: callers' buffers are views into envelopes that get reused or transferred. */
  readonly bytes: Buffer;
  readonly value: V;
}

export class BytesKeyedLru<V> {
  /** Invariant: every slot is stored under digest32(slot.tag, slot.bytes). */
  readonly #slots: LruCache<number, Slot<V>>;
  /** Invariant: undefined, or the slot #slots holds as its most recently used entry. */
  #youngest: Slot<V> | undefined;
  #youngestHits = 0;

  constructor(readonly maxEntries: number) {
    this.#slots = new LruCache(maxEntries);
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Lookups answered by the most recently used slot, without a digest (monotonic). */
  get youngestHits(): number {
    return this.#youngestHits;
  }

  /** The value stored for exactly (tag, bytes), marked most recently used; undefined on a miss. */
  get(tag: string, bytes: Uint8Array): V | undefined {
    const youngest = this.#youngest;
    if (youngest !== undefined && youngest.tag === tag && youngest.bytes.equals(bytes)) {
      this.#youngestHits++;
      return youngest.value;
    }
    const slot = this.#slots.get(digest32(tag, bytes));
    if (slot === undefined || slot.tag !== tag || !slot.bytes.equals(bytes)) {
      // LruCache.get made the slot found under the digest the youngest, even a colliding one.
      if (slot !== undefined) this.#youngest = slot;
      return undefined;
    }
    this.#youngest = slot;
    return slot.value;
  }

  /** Stores a copy of `bytes`; replaces whatever shared the digest. */
  set(tag: string, bytes: Uint8Array, value: V): void {
    const digest = digest32(tag, bytes);
    const slot = { tag, bytes: Buffer.from(bytes), value };
    this.#slots.set(digest, slot);
    this.#youngest = slot;
    assert.ok(this.#slots.size <= this.maxEntries);
  }

  /** Removes (tag, bytes) if stored; another key sharing its digest stays. */
  delete(tag: string, bytes: Uint8Array): boolean {
    const digest = digest32(tag, bytes);
    const slot = this.#slots.get(digest);
    if (slot === undefined || slot.tag !== tag || !slot.bytes.equals(bytes)) {
      if (slot !== undefined) this.#youngest = slot; // as in get
      return false;
    }
    if (this.#youngest === slot) this.#youngest = undefined;
    return this.#slots.delete(digest);
  }
}

/**
 * MurmurHash3 (x86, 32-bit) over `bytes`, seeded with an FNV-1a hash of `tag`.
 * Not cryptographic: a digest picks a slot, equality decides a hit. Words are
 * assembled from bytes, so unaligned views cost nothing extra.
 */
export function digest32(tag: string, bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 0x01000193);
  const length = bytes.length;
  const wordsEnd = length & ~3;
  let i = 0;
  for (; i < wordsEnd; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= mixWord(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < length) {
    // The last one to three bytes, little-endian, as MurmurHash3's tail.
    let tail = 0;
    for (let shift = 0; i < length; i++, shift += 8) tail |= bytes[i]! << shift;
    h ^= mixWord(tail);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}
