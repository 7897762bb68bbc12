import { assert } from './assert.js';
import { MemoryEntries } from './memoryEntries.js';
import { StorageError, type Storage } from './storage.js';
import { emptyConfState, emptyHardState, type ConfState, type Entry, type HardState, type Snapshot } from './types.js';

const emptyData = new Uint8Array(0);

/**
 * The Raft log kept in memory: the reference Storage (tests, the simulator,
 * benchmarks). Same semantics as etcd's MemoryStorage.
 *
 * Invariant: the entries start at the snapshot point or after it (compact
 * moves the start beyond the snapshot; applySnapshot resets it to the snapshot).
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = emptyHardState;
  #snapshot: Snapshot = { data: emptyData, metadata: { confState: emptyConfState, index: 0, term: 0 } };
  readonly #entries = new MemoryEntries();

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#snapshot.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.#hardState = hs;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    return this.#entries.entries(lo, hi, maxSizeBytes);
  }

  term(i: number): number {
    return this.#entries.term(i);
  }

  lastIndex(): number {
    return this.#entries.lastIndex();
  }

  firstIndex(): number {
    return this.#entries.firstIndex();
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Replaces the whole log with `snap`. Throws `snapshot-out-of-date` if it is not newer. */
  applySnapshot(snap: Snapshot): void {
    const current = this.#snapshot.metadata.index;
    const incoming = snap.metadata.index;
    if (current !== 0 && current >= incoming) {
      throw new StorageError(
        'snapshot-out-of-date',
        `applySnapshot: snapshot index ${incoming} is not newer than the current ${current}`,
      );
    }
    this.#snapshot = snap;
    this.#entries.reset(incoming, snap.metadata.term);
  }

  /**
   * Makes the snapshot at applied index `i` (<= lastIndex) with the given
   * membership (the previous one if undefined) and application state.
   */
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.#snapshot.metadata.index) {
      throw new StorageError(
        'snapshot-out-of-date',
        `createSnapshot(${i}): not newer than the current snapshot ${this.#snapshot.metadata.index}`,
      );
    }
    assert(i <= this.lastIndex(), () => `createSnapshot(${i}) is beyond last index ${this.lastIndex()}`);
    assert(i >= this.#entries.startIndex, () => `createSnapshot(${i}) is below the log start ${this.#entries.startIndex}`);
    const term = this.#entries.term(i);
    this.#snapshot = { data, metadata: { confState: cs ?? this.#snapshot.metadata.confState, index: i, term } };
    return this.#snapshot;
  }

  /** Discards entries up to and including `compactIndex`; the entry there becomes the start point. */
  compact(compactIndex: number): void {
    this.#entries.compact(compactIndex);
  }

  /**
   * Appends `entries` (contiguous), overwriting any existing suffix from their
   * first index. Entries at or below the log start are ignored. A gap after the
   * last index is a programmer error.
   */
  append(entries: readonly Entry[]): void {
    this.#entries.append(entries);
  }
}
