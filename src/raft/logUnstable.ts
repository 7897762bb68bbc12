import { assert } from './assert.js';
import type { RaftLogger } from './logger.js';
import type { Entry, Snapshot } from './types.js';

/** (term, index) of an entry. */
export interface EntryId {
  readonly term: number;
  readonly index: number;
}

/**
 * The tail of the log not yet known to be in stable storage: an optional
 * incoming snapshot and entries after it.
 *
 * Entries from `offsetInProgress` on have not been handed out in a Ready yet;
 * those in [offset, offsetInProgress) are being written by the application.
 * Invariants: entries[i].index === offset + i;
 *   offset <= offsetInProgress <= offset + entries.length;
 *   if snapshot is set, offset === snapshot.metadata.index + 1 at restore.
 */
export class UnstableLog {
  snapshot: Snapshot | undefined = undefined;
  /** The snapshot has been handed out in a Ready and is being written. */
  snapshotInProgress = false;
  entries: Entry[] = [];
  offset: number;
  offsetInProgress: number;

  constructor(
    offset: number,
    private readonly logger: RaftLogger,
  ) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** First index if a snapshot is pending (the log starts right after it). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot && this.snapshot.metadata.index === i ? this.snapshot.metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries not yet handed out for writing. */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    return inProgress === this.entries.length ? [] : this.entries.slice(inProgress);
  }

  nextSnapshot(): Snapshot | undefined {
    return this.snapshot && !this.snapshotInProgress ? this.snapshot : undefined;
  }

  /** Everything currently unstable has been handed out in a Ready. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.entries[this.entries.length - 1]!.index + 1;
    if (this.snapshot) this.snapshotInProgress = true;
  }

  /** Entries up to `id` are durable; drop them unless the log changed under the write. */
  stableTo(id: EntryId): void {
    const term = this.maybeTerm(id.index);
    if (term === undefined) {
      this.logger.info(`entry at index ${id.index} missing from unstable log; ignoring`);
      return;
    }
    if (id.index < this.offset) {
      this.logger.info(`entry at index ${id.index} matched unstable snapshot; ignoring`);
      return;
    }
    if (term !== id.term) {
      this.logger.info(`entry at (index,term)=(${id.index},${id.term}) mismatched with entry at (${id.index},${term}) in unstable log; ignoring`);
      return;
    }
    this.entries = this.entries.slice(id.index + 1 - this.offset);
    this.offset = id.index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const fromIndex = ents[0]!.index;
    if (fromIndex === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (fromIndex <= this.offset) {
      this.logger.info(`replace the unstable entries from index ${fromIndex}`);
      this.entries = ents.slice();
      this.offset = fromIndex;
      this.offsetInProgress = this.offset;
    } else {
      this.logger.info(`truncate the unstable entries before index ${fromIndex}`);
      this.entries = this.slice(this.offset, fromIndex).concat(ents);
      this.offsetInProgress = Math.min(this.offsetInProgress, fromIndex);
    }
  }

  /** Entries in [lo, hi), which must lie within the unstable entries. */
  slice(lo: number, hi: number): Entry[] {
    assert(lo <= hi, () => `invalid unstable.slice ${lo} > ${hi}`);
    const upper = this.offset + this.entries.length;
    assert(lo >= this.offset && hi <= upper, () => `unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
