import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/**
 * Why a Storage read could not be answered. The core reacts to each code
 * differently, so they are values, not just messages.
 * - `compacted`: the requested index is at or below the snapshot (send a snapshot instead).
 * - `unavailable`: the requested index is beyond the last index.
 * - `snapshot-temporarily-unavailable`: a snapshot is being made; retry later.
 */
export type StorageErrorCode =
  | 'compacted'
  | 'unavailable'
  | 'snapshot-temporarily-unavailable'
  /** Writers only (applySnapshot/createSnapshot): the given snapshot is not newer than the stored one. */
  | 'snapshot-out-of-date';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/**
 * The stable (persisted) part of the Raft log, as the core reads it.
 *
 * Contracts:
 * - Calls are synchronous; the core never waits on I/O. A durable
 *   implementation serves reads from memory and persists in the background.
 * - Entries in (snapshot.index, lastIndex()] are present; the entry at
 *   `firstIndex() - 1` is the snapshot point, whose term `term()` still answers.
 * - Returned arrays and entries are owned by the storage: callers must not mutate them.
 * - A failure other than a StorageError means the storage is broken; the core
 *   does not catch it.
 */
export interface Storage {
  /** The persisted hard state and membership at start-up. */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in `[lo, hi)`, cut after the total byte size of entry data exceeds
   * `maxSizeBytes` (always at least one entry). Throws `compacted` if
   * `lo < firstIndex()`, `unavailable` if `hi > lastIndex() + 1`.
   */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /**
   * Term of the entry at index `i`, for `firstIndex() - 1 <= i <= lastIndex()`.
   * Throws `compacted` below, `unavailable` above.
   */
  term(i: number): number;
  /** Index of the last entry (the snapshot index if the log is empty). */
  lastIndex(): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  /** The most recent snapshot; may throw `snapshot-temporarily-unavailable`. */
  snapshot(): Snapshot;
}
