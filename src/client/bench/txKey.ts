// How the harness names an envelope while it waits for its answer and its
// commit: a number, not its tx id string. A Fabric tx id is 64 hex digits of
// a SHA-256; its first 13 digits (52 bits) make an exact double, so sent and
// delivered envelopes are matched through typed arrays (PendingTable) with
// no string, Map entry or hash per envelope — fewer and smaller allocations
// are what the harness's GC cost comes from. Two envelopes pending at once
// share a key with odds of about n²/2^53 (n = 10,000: 1e-8 per run).

/** Hex digits of the tx id that make its key. */
const KEY_DIGITS = 13;

/** A tx id that is not (at least 13 digits of) lower- or upper-case hex: counted when delivered, never matched. */
export const FOREIGN_KEY = -3;
const EMPTY = -1;
const DELETED = -2;

function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The key of the tx id in bytes[start, end) (its ASCII text). */
export function txKeyAt(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < KEY_DIGITS) return FOREIGN_KEY;
  let key = 0;
  for (let i = start; i < start + KEY_DIGITS; i++) {
    const n = nibble(bytes[i]!);
    if (n < 0) return FOREIGN_KEY;
    key = key * 16 + n;
  }
  return key;
}

/** The key of a tx id string. */
export function txKeyOf(txId: string): number {
  if (txId.length < KEY_DIGITS) return FOREIGN_KEY;
  let key = 0;
  for (let i = 0; i < KEY_DIGITS; i++) {
    const n = nibble(txId.charCodeAt(i));
    if (n < 0) return FOREIGN_KEY;
    key = key * 16 + n;
  }
  return key;
}

/** Its low 32 and high 20 bits of a key mixed (a key's low bits alone need not be spread: ids from other clients may share them). */
function slotOf(key: number): number {
  const h = Math.imul((key >>> 0) ^ ((key / 0x1_0000_0000) >>> 0), 0x9e3779b1);
  return h ^ (h >>> 15);
}

/**
 * Envelopes awaiting their commit: tx key -> intended send time, in two
 * Float64Arrays (open addressing, linear probing, tombstones swept when the
 * table grows or fills with them). Nothing is allocated per envelope.
 */
export class PendingTable {
  #keys = new Float64Array(1024).fill(EMPTY);
  #values = new Float64Array(1024);
  #mask = 1023;
  #size = 0;
  /** Slots holding a key or a tombstone. */
  #used = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds or replaces `key` (a key from txKeyAt/txKeyOf, ≥ 0). */
  set(key: number, value: number): void {
    if (key < 0) return;
    if ((this.#used + 1) * 2 > this.#keys.length) this.#rehash(this.#size * 4 > this.#keys.length ? this.#keys.length * 2 : this.#keys.length);
    const keys = this.#keys;
    let i = slotOf(key) & this.#mask;
    let tombstone = -1;
    for (;;) {
      const k = keys[i]!;
      if (k === key) {
        this.#values[i] = value;
        return;
      }
      if (k === EMPTY) break;
      if (k === DELETED && tombstone < 0) tombstone = i;
      i = (i + 1) & this.#mask;
    }
    if (tombstone >= 0) i = tombstone;
    else this.#used++;
    keys[i] = key;
    this.#values[i] = value;
    this.#size++;
  }

  /** Removes `key` and returns its value; NaN if it is not there. */
  take(key: number): number {
    if (key < 0 || this.#size === 0) return Number.NaN;
    const keys = this.#keys;
    let i = slotOf(key) & this.#mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) {
        keys[i] = DELETED;
        this.#size--;
        return this.#values[i]!;
      }
      if (k === EMPTY) return Number.NaN;
      i = (i + 1) & this.#mask;
    }
  }

  #rehash(capacity: number): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Float64Array(capacity).fill(EMPTY);
    this.#values = new Float64Array(capacity);
    this.#mask = capacity - 1;
    this.#size = 0;
    this.#used = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i]! >= 0) this.set(keys[i]!, values[i]!);
  }
}
