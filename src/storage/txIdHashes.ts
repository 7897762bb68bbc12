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
// are not scanned by the GC and hold 12 bytes per slot.

/** FNV-1a over the UTF-16 code units, then a final mix so the low bits (the home slot) depend on every unit. */
export function txIdHash(txId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < txId.length; i++) h = Math.imul(h ^ txId.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

const INITIAL_SLOTS = 1024;

export class TxIdHashes {
  /** Hash of a slot's tx id; a slot is empty when its block is -1. */
  #hashes = new Int32Array(INITIAL_SLOTS);
  #blocks = new Float64Array(INITIAL_SLOTS).fill(-1);
  /** Slots used. Invariant: 2 * #used <= #hashes.length (a probe always ends at an empty slot). */
  #used = 0;

  constructor(private readonly hash: (txId: string) => number = txIdHash) {}

  /** (hash, block) pairs held: at most one per distinct tx id of a block. */
  get size(): number {
    return this.#used;
  }

  /** The tx ids of committed block `blockNumber`; blocks must come in ascending order. */
  add(blockNumber: number, txIds: readonly string[]): void {
    for (const txId of txIds) this.#insert(this.hash(txId), blockNumber);
  }

  /** Blocks that may hold `txId`, ascending: every block that does is among them. */
  candidates(txId: string): number[] {
    const h = this.hash(txId);
    const mask = this.#hashes.length - 1;
    const found: number[] = [];
    for (let slot = h & mask; this.#blocks[slot]! >= 0; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === h) found.push(this.#blocks[slot]!);
    }
    // Probe order is insertion order only until the table grows: sorted, the first block that holds the id comes first.
    return found.length > 1 ? found.sort((a, b) => a - b) : found;
  }

  #insert(h: number, blockNumber: number): void {
    const mask = this.#hashes.length - 1;
    let slot = h & mask;
    for (; this.#blocks[slot]! >= 0; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === h && this.#blocks[slot] === blockNumber) return; // the id again in this block, or a collision there: one pair says enough
    }
    this.#hashes[slot] = h;
    this.#blocks[slot] = blockNumber;
    if (2 * ++this.#used > this.#hashes.length) this.#grow();
  }

  #grow(): void {
    const hashes = this.#hashes;
    const blocks = this.#blocks;
    this.#hashes = new Int32Array(hashes.length * 2);
    this.#blocks = new Float64Array(hashes.length * 2).fill(-1);
    this.#used = 0;
    for (let slot = 0; slot < hashes.length; slot++) if (blocks[slot]! >= 0) this.#insert(hashes[slot]!, blocks[slot]!);
  }
}
