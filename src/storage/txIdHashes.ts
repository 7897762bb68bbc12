// Which blocks may hold a tx id, without keeping the tx id: a 32-bit hash of
// each committed tx id and its block number, in two typed arrays (open
// addressing, linear probing, at most half full). A lookup gives the blocks
// whose ids share the hash; the caller reads those blocks' ids to tell a hit
// from a collision (about one lookup in 4,000 at a million ids).
//
// Why not a Map<string, location>: every committed tx id stayed on the heap
// (~100 bytes of string, a location object and a slot per tx, for the life of
// the process), so each major GC marked every tx the node ever committed, and
// its inserts and lookups took 3–4% of a busy leader's main thread. Typed arrays
// are not scanned by the GC and hold 8 bytes per slot: the hash and the block
// number as a 32-bit offset from the table's anchor (its first block), so a
// block number of any size fits; a table refuses a block too far from its
// anchor (fits), which the horizon (txIdHorizon.ts) answers by starting a new table.

/** FNV-1a over the UTF-16 code units, then a final mix so the low bits (the home slot) depend on every unit. */
export function txIdHash(txId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < txId.length; i++) h = Math.imul(h ^ txId.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

const INITIAL_SLOTS = 1024;
/** An empty slot's offset; a used slot's offset is in (EMPTY, 2^31). */
const EMPTY = -0x8000_0000;
const OFFSET_MAX = 0x7fff_ffff;

export class TxIdHashes {
  /** Hash of a slot's tx id. */
  #hashes = new Int32Array(INITIAL_SLOTS);
  /** Block number of a slot's tx id minus #anchor; EMPTY when the slot is empty. */
  #offsets = new Int32Array(INITIAL_SLOTS).fill(EMPTY);
  /** The first block added since the table was made or cleared. */
  #anchor = 0;
  /** Slots used. Invariant: 2 * #used <= #hashes.length (a probe always ends at an empty slot). */
  #used = 0;
  /** The lowest block added; Infinity while empty. */
  #lowest = Number.POSITIVE_INFINITY;

  /** (hash, block) pairs held: at most one per distinct tx id of a block. */
  get size(): number {
    return this.#used;
  }

  /** The lowest block number held, undefined while empty. */
  get lowestBlock(): number | undefined {
    return this.#used === 0 ? undefined : this.#lowest;
  }

  /** Bytes of the typed arrays (they only grow, and clear keeps them). */
  get bytes(): number {
    return this.#hashes.byteLength + this.#offsets.byteLength;
  }

  /** True when block `blockNumber` can be added (its offset from the anchor fits 32 bits). */
  fits(blockNumber: number): boolean {
    return this.#used === 0 || Math.abs(blockNumber - this.#anchor) < OFFSET_MAX;
  }

  /** The tx ids of block `blockNumber`, by `hash`, in any block order; the block must fit. */
  add(blockNumber: number, txIds: readonly string[], hash: (txId: string) => number): void {
    if (txIds.length === 0) return;
    if (this.#used === 0) this.#anchor = blockNumber;
    const offset = blockNumber - this.#anchor;
    if (!(Math.abs(offset) < OFFSET_MAX)) throw new RangeError(`block ${blockNumber} is too far from block ${this.#anchor} for one table`);
    for (const txId of txIds) this.#insert(hash(txId), offset);
    if (blockNumber < this.#lowest) this.#lowest = blockNumber;
  }

  /** As add, with the tx ids' hashes already computed (`hashes[i]` the hash of the block's tx id i): no tx id is hashed again. */
  addHashed(blockNumber: number, hashes: ArrayLike<number>): void {
    if (hashes.length === 0) return;
    if (this.#used === 0) this.#anchor = blockNumber;
    const offset = blockNumber - this.#anchor;
    if (!(Math.abs(offset) < OFFSET_MAX)) throw new RangeError(`block ${blockNumber} is too far from block ${this.#anchor} for one table`);
    for (let i = 0; i < hashes.length; i++) this.#insert(hashes[i]! | 0, offset);
    if (blockNumber < this.#lowest) this.#lowest = blockNumber;
  }

  /** Pushes onto `into` every block whose tx ids have hash `h` (every block that holds such an id is among them). */
  collect(h: number, into: number[]): void {
    const mask = this.#hashes.length - 1;
    for (let slot = h & mask; this.#offsets[slot] !== EMPTY; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === h) into.push(this.#anchor + this.#offsets[slot]!);
    }
  }

  /** Empty again, keeping the arrays' size (a table is reused for the next generation at the size it reached). */
  clear(): void {
    this.#offsets.fill(EMPTY);
    this.#used = 0;
    this.#lowest = Number.POSITIVE_INFINITY;
  }

  #insert(h: number, offset: number): void {
    const mask = this.#hashes.length - 1;
    let slot = h & mask;
    for (; this.#offsets[slot] !== EMPTY; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === h && this.#offsets[slot] === offset) return; // the id again in this block, or a collision there: one pair says enough
    }
    this.#hashes[slot] = h;
    this.#offsets[slot] = offset;
    if (2 * ++this.#used > this.#hashes.length) this.#grow();
  }

  #grow(): void {
    const hashes = this.#hashes;
    const offsets = this.#offsets;
    this.#hashes = new Int32Array(hashes.length * 2);
    this.#offsets = new Int32Array(hashes.length * 2).fill(EMPTY);
    this.#used = 0;
    for (let slot = 0; slot < hashes.length; slot++) if (offsets[slot] !== EMPTY) this.#insert(hashes[slot]!, offsets[slot]!);
  }
}
