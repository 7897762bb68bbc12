// Hand-made logs for the checker's own tests (a LogView over a plain array).

import { StorageError } from '../../../src/raft/storage.js';
import { EntryType, type Entry } from '../../../src/raft/types.js';
import { asciiBytes } from './app-state.js';
import type { LogView } from './invariants.js';

export function entry(index: number, term: number, payload = ''): Entry {
  return { index, term, type: EntryType.Normal, data: asciiBytes(payload) };
}

/** A log whose first entry is `entries[0]`; the snapshot point before it has term `snapshotTerm`. */
export class ArrayLog implements LogView {
  constructor(
    readonly entries: Entry[],
    readonly snapshotTerm = 0,
  ) {}

  firstIndex(): number {
    return this.entries.length > 0 ? (this.entries[0] as Entry).index : 1;
  }

  lastIndex(): number {
    return this.firstIndex() + this.entries.length - 1;
  }

  term(i: number): number {
    const first = this.firstIndex();
    if (i === first - 1) return this.snapshotTerm;
    if (i < first - 1) throw new StorageError('compacted', `term(${i}) is compacted`);
    const e = this.entries[i - first];
    if (e === undefined) throw new StorageError('unavailable', `term(${i}) is beyond the log`);
    return e.term;
  }
}
