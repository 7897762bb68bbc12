// The in-memory image of one channel's Raft log: what the core reads
// synchronously. It has MemoryStorage's semantics (the contract suite runs on
// it through DurableRaftStorage) and, for each mutation, returns the WalOp that
// makes the same change durable. All entries since the last compaction are in
// memory, as in Fabric's etcdraft (MemoryStorage in front of the WAL); the chain
// bounds that by snapshotting every snapshot_interval_size bytes.

import { assert, assertIndexOrTerm } from '../raft/assert.js';
import { limitSize } from '../raft/entrySize.js';
import { StorageError } from '../raft/storage.js';
import {
  emptyConfState,
  emptyHardState,
  EntryType,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from '../raft/types.js';
import type { LogStart, WalOp } from './walOps.js';

const emptyData = new Uint8Array(0);

export const emptySnapshot: Snapshot = Object.freeze({
  data: emptyData,
  metadata: Object.freeze({ confState: emptyConfState, index: 0, term: 0 }),
});

/** What a durable engine found on disk for one channel. */
export interface RecoveredLog {
  readonly hardState: HardState;
  readonly confState: ConfState;
  readonly snapshot: Snapshot;
  readonly start: LogStart;
  /** Contiguous from start.index + 1. */
  readonly entries: readonly Entry[];
}

export const emptyRecoveredLog: RecoveredLog = {
  hardState: emptyHardState,
  confState: emptyConfState,
  snapshot: emptySnapshot,
  start: { index: 0, term: 0 },
  entries: [],
};

export class MemoryLog {
  #hardState: HardState;
  /** Membership returned by initialState: the snapshot's, or a newer one set by setConfState. */
  #confState: ConfState;
  #snapshot: Snapshot;
  /** Invariant: length >= 1; ents[0] is the dummy at the log start; ents[i].index === ents[0].index + i. */
  #ents: Entry[];

  constructor(
    readonly channel: string,
    recovered: RecoveredLog = emptyRecoveredLog,
  ) {
    this.#hardState = recovered.hardState;
    this.#confState = recovered.confState;
    this.#snapshot = recovered.snapshot;
    this.#ents = [dummyEntry(recovered.start.term, recovered.start.index)];
    recovered.entries.forEach((e, i) => {
      assert(e.index === recovered.start.index + 1 + i, () => `recovered log of "${channel}" is not contiguous at ${e.index}`);
      this.#ents.push(e);
    });
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#confState };
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
    if (i < offset) throw new StorageError('compacted', `term(${i}): compacted (log start ${offset})`);
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

  setHardState(hs: HardState): WalOp {
    assertIndexOrTerm(hs.term, 'hard state term');
    assertIndexOrTerm(hs.commit, 'hard state commit');
    this.#hardState = hs;
    return { kind: 'hardState', channel: this.channel, hardState: hs };
  }

  setConfState(cs: ConfState): WalOp {
    this.#confState = cs;
    return { kind: 'confState', channel: this.channel, confState: cs };
  }

  /** Appends contiguous entries, overwriting the suffix from their first index; null if nothing changes. */
  append(entries: readonly Entry[]): WalOp | null {
    if (entries.length === 0) return null;
    const first = this.firstIndex();
    const firstNew = entries[0]!.index;
    const lastNew = firstNew + entries.length - 1;
    assertIndexOrTerm(lastNew, 'last appended index');
    if (lastNew < first) return null;
    const fresh = first > firstNew ? entries.slice(first - firstNew) : entries;
    const at = fresh[0]!.index - this.#offset();
    assert(at <= this.#ents.length, () => `append: missing log entry [last: ${this.lastIndex()}, append at: ${fresh[0]!.index}]`);
    const previousLast = this.lastIndex();
    // In place: the hot path is a pure append, and entries() hands out copies.
    this.#ents.length = at;
    for (const e of fresh) this.#ents.push(e);
    return { kind: 'entries', channel: this.channel, entries: fresh, removeFrom: lastNew + 1, removeTo: previousLast };
  }

  applySnapshot(snap: Snapshot): WalOp {
    const current = this.#snapshot.metadata.index;
    const incoming = snap.metadata.index;
    if (current !== 0 && current >= incoming) {
      throw new StorageError(
        'snapshot-out-of-date',
        `applySnapshot: snapshot index ${incoming} is not newer than the current ${current}`,
      );
    }
    const op: WalOp = { kind: 'resetLog', channel: this.channel, snapshot: snap, removeFrom: this.firstIndex(), removeTo: this.lastIndex() };
    this.#snapshot = snap;
    this.#confState = snap.metadata.confState;
    this.#ents = [dummyEntry(snap.metadata.term, incoming)];
    return op;
  }

  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): { snapshot: Snapshot; op: WalOp } {
    if (i <= this.#snapshot.metadata.index) {
      throw new StorageError(
        'snapshot-out-of-date',
        `createSnapshot(${i}): not newer than the current snapshot ${this.#snapshot.metadata.index}`,
      );
    }
    assert(i <= this.lastIndex(), () => `createSnapshot(${i}) is beyond last index ${this.lastIndex()}`);
    assert(i >= this.#offset(), () => `createSnapshot(${i}) is below the log start ${this.#offset()}`);
    const term = this.#ents[i - this.#offset()]!.term;
    // Without a new membership, the snapshot carries the current one (the
    // snapshot's or a newer one recorded by setConfState).
    const confState = cs ?? this.#confState;
    this.#snapshot = { data, metadata: { confState, index: i, term } };
    this.#confState = confState;
    return { snapshot: this.#snapshot, op: { kind: 'snapshot', channel: this.channel, snapshot: this.#snapshot } };
  }

  compact(compactIndex: number): WalOp {
    const offset = this.#offset();
    if (compactIndex <= offset) {
      throw new StorageError('compacted', `compact(${compactIndex}): already compacted to ${offset}`);
    }
    assert(compactIndex <= this.lastIndex(), () => `compact(${compactIndex}) is beyond last index ${this.lastIndex()}`);
    const i = compactIndex - offset;
    const start: LogStart = { index: compactIndex, term: this.#ents[i]!.term };
    const op: WalOp = { kind: 'compact', channel: this.channel, start, removeFrom: this.firstIndex() };
    this.#ents = [dummyEntry(start.term, compactIndex), ...this.#ents.slice(i + 1)];
    return op;
  }

  /** The whole state, as an engine would recover it (the native-free engine builds its start-up state this way). */
  export(): RecoveredLog {
    const start: LogStart = { index: this.#offset(), term: this.#ents[0]!.term };
    return { hardState: this.#hardState, confState: this.#confState, snapshot: this.#snapshot, start, entries: this.#ents.slice(1) };
  }

  /** Replays a persisted op (native-free engine start-up); the inverse of the methods above. */
  replay(op: WalOp): void {
    switch (op.kind) {
      case 'entries':
        this.append(op.entries);
        return;
      case 'hardState':
        this.#hardState = op.hardState;
        return;
      case 'confState':
        this.#confState = op.confState;
        return;
      case 'snapshot':
        this.#snapshot = op.snapshot;
        this.#confState = op.snapshot.metadata.confState;
        return;
      case 'compact':
        this.compact(op.start.index);
        return;
      case 'resetLog':
        this.#snapshot = op.snapshot;
        this.#confState = op.snapshot.metadata.confState;
        this.#ents = [dummyEntry(op.snapshot.metadata.term, op.snapshot.metadata.index)];
        return;
      case 'block':
        assert(false, 'block ops belong to the ledger, not the raft log');
    }
  }

  #offset(): number {
    return this.#ents[0]!.index;
  }
}

function dummyEntry(term: number, index: number): Entry {
  return { term, index, type: EntryType.Normal, data: emptyData };
}
