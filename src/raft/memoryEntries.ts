import { assert, assertIndexOrTerm } from './assert.js';
import { limitSize } from './entrySize.js';
import { StorageError } from './storage.js';
import { EntryType, type Entry } from './types.js';

const emptyData = new Uint8Array(0);

/**
 * The entries of a Raft log after its start point (a snapshot or the last
 * compaction), in memory, with etcd MemoryStorage's read and append rules.
 * Shared by MemoryStorage (raft's reference Storage) and the durable engines'
 * in-memory image (storage/MemoryLog), which differ only in what surrounds the
 * entries: hard state, membership, snapshot and, for the latter, the WAL ops.
 *
 * Layout: `ents[0]` is a dummy entry carrying the index and term of the start
 * point; real entries follow it contiguously.
 * Invariant: ents.length >= 1 and ents[i].index === ents[0].index + i.
 */
export class MemoryEntries {
  #ents: Entry[];

  constructor(startIndex = 0, startTerm = 0) {
    this.#ents = [dummyEntry(startTerm, startIndex)];
  }

  /** Index of the start point; entries at or below it are compacted. */
  get startIndex(): number {
    return this.#ents[0]!.index;
  }

  /** Term of the start point. */
  get startTerm(): number {
    return this.#ents[0]!.term;
  }

  firstIndex(): number {
    return this.#ents[0]!.index + 1;
  }

  lastIndex(): number {
    return this.#ents[0]!.index + this.#ents.length - 1;
  }

  /** Entries [lo, hi), cut to `maxSizeBytes` (at least one). The array is new; the entries are shared. */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    assert(lo <= hi, () => `entries: invalid range [${lo}, ${hi})`);
    const offset = this.startIndex;
    if (lo <= offset) {
      throw new StorageError('compacted', `entries [${lo}, ${hi}): index ${lo} is compacted (first index ${offset + 1})`);
    }
    if (hi > this.lastIndex() + 1) {
      throw new StorageError('unavailable', `entries [${lo}, ${hi}): beyond last index ${this.lastIndex()}`);
    }
    return limitSize(this.#ents.slice(lo - offset, hi - offset), maxSizeBytes);
  }

  /** Term of entry `i`; the start point's own term is known too. */
  term(i: number): number {
    const offset = this.startIndex;
    if (i < offset) throw new StorageError('compacted', `term(${i}): compacted (log start ${offset})`);
    if (i - offset >= this.#ents.length) {
      throw new StorageError('unavailable', `term(${i}): beyond last index ${this.lastIndex()}`);
    }
    return this.#ents[i - offset]!.term;
  }

  /**
   * Appends `entries` (contiguous), overwriting any existing suffix from their
   * first index. Entries at or below the start point are ignored. A gap after
   * the last index is a programmer error. Returns the entries actually stored
   * (a suffix of `entries`), empty if none.
   */
  append(entries: readonly Entry[]): readonly Entry[] {
    if (entries.length === 0) return entries;
    const first = this.firstIndex();
    const firstNew = entries[0]!.index;
    const lastNew = firstNew + entries.length - 1;
    assertIndexOrTerm(lastNew, 'last appended index');
    if (lastNew < first) return [];
    const fresh = first > firstNew ? entries.slice(first - firstNew) : entries;
    const at = fresh[0]!.index - this.startIndex;
    assert(at <= this.#ents.length, () => `append: missing log entry [last: ${this.lastIndex()}, append at: ${fresh[0]!.index}]`);
    // In place: appending at the end is the common case and must stay O(appended).
    this.#ents.length = at;
    for (const e of fresh) this.#ents.push(e);
    return fresh;
  }

  /**
   * Discards entries up to and including `compactIndex`, which becomes the
   * start point. Throws `compacted` if it already is compacted.
   */
  compact(compactIndex: number): void {
    const offset = this.startIndex;
    if (compactIndex <= offset) {
      throw new StorageError('compacted', `compact(${compactIndex}): already compacted to ${offset}`);
    }
    assert(compactIndex <= this.lastIndex(), () => `compact(${compactIndex}) is beyond last index ${this.lastIndex()}`);
    const i = compactIndex - offset;
    this.#ents = [dummyEntry(this.#ents[i]!.term, compactIndex), ...this.#ents.slice(i + 1)];
  }

  /** Drops every entry; the log restarts after (`index`, `term`), e.g. at an applied snapshot. */
  reset(index: number, term: number): void {
    this.#ents = [dummyEntry(term, index)];
  }

  /** A copy of the entries after the start point. */
  all(): Entry[] {
    return this.#ents.slice(1);
  }
}

function dummyEntry(term: number, index: number): Entry {
  return { term, index, type: EntryType.Normal, data: emptyData };
}

/**
 * The Storage contract's rules for snapshots, shared by both in-memory logs:
 * applySnapshot takes only a newer snapshot (any, when there is none yet), and
 * createSnapshot only a point beyond the current snapshot and within the log.
 */
export function checkIncomingSnapshot(currentIndex: number, incomingIndex: number): void {
  if (currentIndex !== 0 && currentIndex >= incomingIndex) {
    throw new StorageError('snapshot-out-of-date', `applySnapshot: snapshot index ${incomingIndex} is not newer than the current ${currentIndex}`);
  }
}

/** See checkIncomingSnapshot; returns the term at `i`, the new snapshot's term. */
export function checkSnapshotPoint(entries: MemoryEntries, i: number, currentIndex: number): number {
  if (i <= currentIndex) {
    throw new StorageError('snapshot-out-of-date', `createSnapshot(${i}): not newer than the current snapshot ${currentIndex}`);
  }
  assert(i <= entries.lastIndex(), () => `createSnapshot(${i}) is beyond last index ${entries.lastIndex()}`);
  assert(i >= entries.startIndex, () => `createSnapshot(${i}) is below the log start ${entries.startIndex}`);
  return entries.term(i);
}
