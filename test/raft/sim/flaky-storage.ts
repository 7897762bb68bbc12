// The Storage the simulated RawNode reads: the node's disk, except that
// snapshot() sometimes answers "temporarily unavailable", as a storage that
// is still writing its snapshot does. The core must then skip sending the
// snapshot and try again later, not stall or crash.

import type { Storage } from '../../../src/raft/storage.js';
import { StorageError } from '../../../src/raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../../src/raft/types.js';

export class FlakySnapshotStorage implements Storage {
  readonly #disk: Storage;
  readonly #unavailableNow: () => boolean;
  /** How many snapshot reads were refused, for the run's summary. */
  refused = 0;

  /** `unavailableNow` is asked at each snapshot() call (draw it from the simulation's PRNG). */
  constructor(disk: Storage, unavailableNow: () => boolean) {
    this.#disk = disk;
    this.#unavailableNow = unavailableNow;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.#disk.initialState();
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    return this.#disk.entries(lo, hi, maxSizeBytes);
  }

  term(i: number): number {
    return this.#disk.term(i);
  }

  lastIndex(): number {
    return this.#disk.lastIndex();
  }

  firstIndex(): number {
    return this.#disk.firstIndex();
  }

  snapshot(): Snapshot {
    if (this.#unavailableNow()) {
      this.refused++;
      throw new StorageError('snapshot-temporarily-unavailable', 'snapshot is being written (simulated)');
    }
    return this.#disk.snapshot();
  }
}
