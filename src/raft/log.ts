import { assert } from './assert.js';
import { entriesBytes, limitSize } from './entrySize.js';
import type { RaftLogger } from './logger.js';
import { UnstableLog, type EntryId } from './logUnstable.js';
import { StorageError, type Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';

/** A run of entries a leader sent after the entry `prev`. */
export interface LogSlice {
  readonly term: number;
  readonly prev: EntryId;
  readonly entries: readonly Entry[];
}

/**
 * The Raft log as the core sees it: the stable part in Storage and the
 * unstable tail in memory, plus the commit/apply cursors.
 * Invariant: applied <= applying <= committed <= lastIndex().
 */
export class RaftLog {
  readonly unstable: UnstableLog;
  /** Highest index known to be on a quorum. */
  committed: number;
  /** Highest index handed to the application for applying. */
  applying: number;
  /** Highest index the application reported applied. */
  applied: number;
  /** Bytes of committed entries being applied; bounded by maxApplyingEntsBytes. */
  applyingEntsBytes = 0;
  applyingEntsPaused = false;

  constructor(
    readonly storage: Storage,
    private readonly logger: RaftLogger,
    /** Byte bound on committed entries handed out per Ready. */
    readonly maxApplyingEntsBytes: number,
  ) {
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new UnstableLog(lastIndex + 1, logger);
    this.committed = firstIndex - 1;
    this.applying = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, applying=${this.applying}, unstable.offset=${this.unstable.offset}, unstable.offsetInProgress=${this.unstable.offsetInProgress}, len(unstable.Entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends the leader's slice if it matches our log at `a.prev`, truncating a
   * conflicting suffix, and commits up to min(committed, last new index).
   * Returns the last index of the slice, or undefined on mismatch.
   */
  maybeAppend(a: LogSlice, committed: number): number | undefined {
    if (!this.matchTerm(a.prev)) return undefined;
    const lastNew = a.prev.index + a.entries.length;
    const conflict = this.findConflict(a.entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, () => `entry ${conflict} conflict with committed entry [committed(${this.committed})]`);
      this.append(a.entries.slice(conflict - (a.prev.index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    assert(after >= this.committed, () => `after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or that we lack); 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e)) {
        if (e.index <= this.lastIndex()) {
          this.logger.info(`found conflict at index ${e.index} [existing term: ${this.term(e.index) ?? 0}, conflicting term: ${e.term}]`);
        }
        return e.index;
      }
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term: the
   * reject hint that lets a leader skip a whole conflicting term at once.
   * Returns term 0 if the answer lies in the compacted prefix.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const ourTerm = this.term(index);
      if (ourTerm === undefined) return { index, term: 0 };
      if (ourTerm <= term) return { index, term: ourTerm };
    }
    return { index: 0, term: 0 };
  }

  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  hasNextUnstableEnts(): boolean {
    return this.unstable.offsetInProgress - this.unstable.offset < this.unstable.entries.length;
  }

  hasNextOrInProgressUnstableEnts(): boolean {
    return this.unstable.entries.length > 0;
  }

  /** Committed entries to hand to the application next (none while a snapshot is pending). */
  nextCommittedEnts(allowUnstable: boolean): Entry[] {
    if (this.applyingEntsPaused || this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.maxAppliableIndex(allowUnstable) + 1;
    if (lo >= hi) return [];
    const maxBytes = this.maxApplyingEntsBytes - this.applyingEntsBytes;
    assert(maxBytes > 0, () => `applying entry size (${this.maxApplyingEntsBytes}-${this.applyingEntsBytes})=${maxBytes} not positive`);
    const ents = this.slice(lo, hi, maxBytes);
    assert(ents !== undefined, () => `unexpected compaction of unapplied entries [${lo}, ${hi})`);
    return ents;
  }

  hasNextCommittedEnts(allowUnstable: boolean): boolean {
    if (this.applyingEntsPaused || this.hasNextOrInProgressSnapshot()) return false;
    return this.applying + 1 < this.maxAppliableIndex(allowUnstable) + 1;
  }

  maxAppliableIndex(allowUnstable: boolean): number {
    return allowUnstable ? this.committed : Math.min(this.committed, this.unstable.offset - 1);
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  hasNextUnstableSnapshot(): boolean {
    return this.unstable.nextSnapshot() !== undefined;
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** The snapshot to send to a follower; throws StorageError 'snapshot-temporarily-unavailable'. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      assert(
        this.lastIndex() >= toCommit,
        () => `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
      );
      this.committed = toCommit;
    }
  }

  /** applied <= applying <= committed <= lastIndex: asserted after every cursor move. */
  assertCursors(): void {
    assert(
      this.applied <= this.applying && this.applying <= this.committed && this.committed <= this.lastIndex(),
      () => `log cursors out of order: applied=${this.applied} applying=${this.applying} committed=${this.committed} last=${this.lastIndex()}`,
    );
  }

  appliedTo(i: number, sizeBytes: number): void {
    assert(this.committed >= i && i >= this.applied, () => `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
    this.applying = Math.max(this.applying, i);
    this.applyingEntsBytes = this.applyingEntsBytes > sizeBytes ? this.applyingEntsBytes - sizeBytes : 0;
    this.applyingEntsPaused = this.applyingEntsBytes >= this.maxApplyingEntsBytes;
    this.assertCursors();
  }

  acceptApplying(i: number, sizeBytes: number, allowUnstable: boolean): void {
    assert(this.committed >= i, () => `applying(${i}) is out of range [prevApplying(${this.applying}), committed(${this.committed})]`);
    this.applying = i;
    this.applyingEntsBytes += sizeBytes;
    this.applyingEntsPaused = this.applyingEntsBytes >= this.maxApplyingEntsBytes || i < this.maxAppliableIndex(allowUnstable);
    this.assertCursors();
  }

  stableTo(id: EntryId): void {
    this.unstable.stableTo(id);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  lastEntryId(): EntryId {
    const index = this.lastIndex();
    const term = this.term(index);
    assert(term !== undefined, () => `unexpected error when getting the last term at ${index}`);
    return { term, index };
  }

  /** Term of entry `i`, or undefined if it is compacted or beyond the last index. */
  term(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'compacted' || err.code === 'unavailable')) return undefined;
      throw err;
    }
  }

  /** Entries from `i` to the end, size-limited; undefined if `i` is compacted. */
  entries(i: number, maxSizeBytes: number): Entry[] | undefined {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Whether a candidate whose last entry is `their` is at least as up to date as we are. */
  isUpToDate(their: EntryId): boolean {
    const our = this.lastEntryId();
    return their.term > our.term || (their.term === our.term && their.index >= our.index);
  }

  matchTerm(id: EntryId): boolean {
    const t = this.term(id.index);
    return t !== undefined && t === id.term;
  }

  /** Commits up to `at` if it is beyond the commit index and its term matches (current-term rule). */
  maybeCommit(at: EntryId): boolean {
    if (at.term !== 0 && at.index > this.committed && this.matchTerm(at)) {
      this.commitTo(at.index);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.logger.info(`log [${this.toString()}] starts to restore snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /**
   * Entries in [lo, hi), stable then unstable, cut by size (at least one).
   * Returns undefined if `lo` is compacted.
   */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] | undefined {
    assert(lo <= hi, () => `invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) return undefined;
    assert(hi <= this.lastIndex() + 1, () => `slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
    if (lo === hi) return [];
    const unstableOffset = this.unstable.offset;
    if (lo >= unstableOffset) return limitSize(this.unstable.slice(lo, hi), maxSizeBytes);
    const cut = Math.min(hi, unstableOffset);
    let stable: Entry[];
    try {
      stable = this.storage.entries(lo, cut, maxSizeBytes);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'compacted') return undefined;
      throw err;
    }
    if (hi <= unstableOffset || stable.length < cut - lo) return stable;
    const size = entriesBytes(stable);
    if (size >= maxSizeBytes) return stable;
    const tail = limitSize(this.unstable.slice(unstableOffset, hi), maxSizeBytes - size);
    if (tail.length === 1 && size + entriesBytes(tail) > maxSizeBytes) return stable;
    return stable.concat(tail);
  }
}
