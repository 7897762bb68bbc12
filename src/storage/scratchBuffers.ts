// Buffers for the large values of an LMDB write (entry bodies, block
// records: ~500 KB each), reused from one batch to the next. A fresh
// buffer of that size costs far more than the copy into it (the allocator
// hands out new pages, which the kernel maps and zeroes on first touch), and
// each one is garbage once LMDB has copied it: on every node, for every
// block. LMDB copies a value into its own pages when it is put inside the
// write transaction (lmdbWritePlan.ts replays the plan there), so a batch's
// buffers may be reused once its transaction has settled.

/** Values smaller than this are allocated as usual (Node's pool serves small ones cheaply). */
export const SCRATCH_MIN_BYTES = 64 * 1024;
/** Buffers kept between batches, at most, and the largest one kept: bounds the memory held while idle. */
const KEPT_MAX = 8;
const KEPT_BYTES_MAX = 16 * 1024 * 1024;

export class ScratchBuffers {
  /** Buffers no batch holds. Invariant: length <= KEPT_MAX, each at most KEPT_BYTES_MAX. */
  readonly #free: Buffer[] = [];

  /** A lease for one batch: its buffers come back with release(), after its transaction settled. */
  lease(): ScratchLease {
    return new ScratchLease(this.#free);
  }

  /** Buffers held for reuse (tests, metrics). */
  get keptCount(): number {
    return this.#free.length;
  }
}

export class ScratchLease {
  readonly #held: Buffer[] = [];
  #released = false;

  constructor(private readonly free: Buffer[]) {}

  /** `size` bytes, uninitialized, valid until release(). */
  readonly alloc = (size: number): Buffer => {
    if (this.#released) throw new Error('scratch lease used after release');
    if (size < SCRATCH_MIN_BYTES) return Buffer.allocUnsafe(size);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.length;
      if (length >= size && (best < 0 || length < this.free[best]!.length)) best = i;
    }
    // A new buffer gets some room, so a slightly larger block next time fits too.
    const buffer = best >= 0 ? this.free.splice(best, 1)[0]! : Buffer.allocUnsafeSlow(Math.ceil(size * 1.25));
    this.#held.push(buffer);
    return buffer.subarray(0, size);
  };

  /** The batch's transaction has settled: LMDB no longer reads its values. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const buffer of this.#held) {
      if (buffer.length > KEPT_BYTES_MAX) continue;
      if (this.free.length >= KEPT_MAX) {
        // Keep the larger ones: a small one would not fit the next block.
        const smallest = this.free.reduce((min, b, i) => (b.length < this.free[min]!.length ? i : min), 0);
        if (this.free[smallest]!.length >= buffer.length) continue;
        this.free.splice(smallest, 1);
      }
      this.free.push(buffer);
    }
    this.#held.length = 0;
  }
}
