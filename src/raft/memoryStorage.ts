import { checkIncomingSnapshot, checkSnapshotPoint, MemoryEntries } from './memoryEntries.js';
import type { Storage } from './storage.js';
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
    checkIncomingSnapshot(this.#snapshot.metadata.index, snap.metadata.index);
    this.#snapshot = snap;
    this.#entries.reset(snap.metadata.index, snap.metadata.term);
  }

  /**
   * Makes the snapshot at applied index `i` (<= lastIndex) with the given
   * membership (the previous one if undefined) and application state.
   */
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    const term = checkSnapshotPoint(this.#entries, i, this.#snapshot.metadata.index);
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
