import { assert, assertIndexOrTerm } from './assert.js';
import { limitSize } from './entrySize.js';
import { StorageError, type Storage } from './storage.js';
import {
  emptyConfState,
  emptyHardState,
  EntryType,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from './types.js';

const emptyData = new Uint8Array(0);

/**
 * The Raft log kept in memory: the reference Storage (tests, the simulator,
 * benchmarks). Same semantics as etcd's MemoryStorage.
 *
 * Layout: `ents[0]` is a dummy entry carrying the index and term of the
 * snapshot point; real entries follow it contiguously.
 * Invariant: ents.length >= 1 and ents[i].index === ents[0].index + i.
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = emptyHardState;
  #snapshot: Snapshot = { data: emptyData, metadata: { confState: emptyConfState, index: 0, term: 0 } };
  #ents: Entry[] = [dummyEntry(0, 0)];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#snapshot.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.#hardState = hs;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    assert(lo <= hi, () => `entries: invalid range [${lo}, ${hi})`);
    const offset = this.#offset();
    if (lo <= offset) {
      throw new StorageError('compacted', `entries [${lo}, ${hi}): index ${lo} is compacted (first index ${offset + 1})`);
    }
    if (hi > this.lastIndex() + 1) {
      throw new StorageError('unavailable', `entries [${lo}, ${hi}): beyond last index ${this.lastIndex()}`);
    }
    return limitSize(this.#ents.slice(lo - offset, hi - offset), maxSizeBytes);
  }

  term(i: number): number {
    const offset = this.#offset();
    if (i < offset) throw new StorageError('compacted', `term(${i}): compacted (snapshot index ${offset})`);
    if (i - offset >= this.#ents.length) {
      throw new StorageError('unavailable', `term(${i}): beyond last index ${this.lastIndex()}`);
    }
    return this.#ents[i - offset]!.term;
  }

  lastIndex(): number {
    return this.#offset() + this.#ents.length - 1;
  }

  firstIndex(): number {
    return this.#offset() + 1;
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
    this.#ents = [dummyEntry(snap.metadata.term, incoming)];
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
    const term = this.#ents[i - this.#offset()]!.term;
    this.#snapshot = { data, metadata: { confState: cs ?? this.#snapshot.metadata.confState, index: i, term } };
    return this.#snapshot;
  }

  /** Discards entries up to and including `compactIndex`; the entry there becomes the dummy. */
  compact(compactIndex: number): void {
    const offset = this.#offset();
    if (compactIndex <= offset) {
      throw new StorageError('compacted', `compact(${compactIndex}): already compacted to ${offset}`);
    }
    assert(compactIndex <= this.lastIndex(), () => `compact(${compactIndex}) is beyond last index ${this.lastIndex()}`);
    const i = compactIndex - offset;
    const kept = this.#ents.slice(i + 1);
    this.#ents = [dummyEntry(this.#ents[i]!.term, compactIndex), ...kept];
  }

  /**
   * Appends `entries` (contiguous), overwriting any existing suffix from their
   * first index. Entries at or below the snapshot are ignored. A gap after the
   * last index is a programmer error.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = entries[0]!.index;
    const lastNew = firstNew + entries.length - 1;
    assertIndexOrTerm(lastNew, 'last appended index');
    if (lastNew < first) return;
    const fresh = first > firstNew ? entries.slice(first - firstNew) : entries;
    const at = fresh[0]!.index - this.#offset();
    assert(at <= this.#ents.length, () => `append: missing log entry [last: ${this.lastIndex()}, append at: ${fresh[0]!.index}]`);
    // In place: appending at the end is the common case and must stay O(appended).
    this.#ents.length = at;
    for (const e of fresh) this.#ents.push(e);
  }

  #offset(): number {
    return this.#ents[0]!.index;
  }
}

function dummyEntry(term: number, index: number): Entry {
  return { term, index, type: EntryType.Normal, data: emptyData };
}
