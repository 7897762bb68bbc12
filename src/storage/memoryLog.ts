// The in-memory image of one channel's Raft log: what the core reads
// synchronously. It has MemoryStorage's semantics (the contract suite runs on
// it through DurableRaftStorage) and, for each mutation, returns the WalOp that
// makes the same change durable. All entries since the last compaction are in
// memory, as in Fabric's etcdraft (MemoryStorage in front of the WAL); the chain
// bounds that by snapshotting every snapshot_interval_size bytes.
// The entries themselves live in raft's MemoryEntries, as in MemoryStorage;
// what differs here is the rest: a membership newer than the snapshot
// (setConfState), a log start recovered from disk, and a WalOp per mutation.

import { assert, assertIndexOrTerm } from '../raft/index.js';
import { checkIncomingSnapshot, checkSnapshotPoint, MemoryEntries } from '../raft/index.js';
import { emptyConfState, emptyHardState, type ConfState, type Entry, type HardState, type Snapshot } from '../raft/index.js';
import type { LogStart, RaftIdRecord, WalOp } from './walOps.js';

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
  /** The Raft id recorded for the channel (re-onboarding), if any. */
  readonly raftId?: RaftIdRecord | undefined;
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
  #raftId: RaftIdRecord | undefined;
  /** Invariant: starts at the snapshot point or after it (compaction moves it on). */
  readonly #entries: MemoryEntries;

  constructor(
    readonly channel: string,
    recovered: RecoveredLog = emptyRecoveredLog,
  ) {
    this.#hardState = recovered.hardState;
    this.#confState = recovered.confState;
    this.#snapshot = recovered.snapshot;
    this.#raftId = recovered.raftId;
    this.#entries = new MemoryEntries(recovered.start.index, recovered.start.term);
    recovered.entries.forEach((e, i) => {
      assert(e.index === recovered.start.index + 1 + i, () => `recovered log of "${channel}" is not contiguous at ${e.index}`);
    });
    this.#entries.append(recovered.entries);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#confState };
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

  setHardState(hs: HardState): WalOp {
    assertIndexOrTerm(hs.term, 'hard state term');
    assertIndexOrTerm(hs.commit, 'hard state commit');
    this.#hardState = hs;
    return { kind: 'hardState', channel: this.channel, hardState: hs };
  }

  /** The Raft id recorded for the channel, undefined if none was (the node's id, or the one its ledger's config gives it). */
  get raftId(): RaftIdRecord | undefined {
    return this.#raftId;
  }

  setRaftId(record: RaftIdRecord): WalOp {
    assert(Number.isSafeInteger(record.raftId) && record.raftId > 0, () => `raft id record of "${this.channel}": ${record.raftId} is not a Raft id`);
    this.#raftId = record;
    return { kind: 'raftId', channel: this.channel, record };
  }

  setConfState(cs: ConfState): WalOp {
    this.#confState = cs;
    return { kind: 'confState', channel: this.channel, confState: cs };
  }

  /** Appends contiguous entries, overwriting the suffix from their first index; null if nothing changes. */
  append(entries: readonly Entry[]): WalOp | null {
    const previousLast = this.lastIndex();
    const fresh = this.#entries.append(entries);
    if (fresh.length === 0) return null;
    const lastNew = fresh[fresh.length - 1]!.index;
    return { kind: 'entries', channel: this.channel, entries: fresh, removeFrom: lastNew + 1, removeTo: previousLast };
  }

  applySnapshot(snap: Snapshot): WalOp {
    checkIncomingSnapshot(this.#snapshot.metadata.index, snap.metadata.index);
    const op: WalOp = { kind: 'resetLog', channel: this.channel, snapshot: snap, removeFrom: this.firstIndex(), removeTo: this.lastIndex() };
    this.#resetTo(snap);
    return op;
  }

  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): { snapshot: Snapshot; op: WalOp } {
    const term = checkSnapshotPoint(this.#entries, i, this.#snapshot.metadata.index);
    // Without a new membership, the snapshot carries the current one (the
    // snapshot's or a newer one recorded by setConfState).
    const confState = cs ?? this.#confState;
    this.#snapshot = { data, metadata: { confState, index: i, term } };
    this.#confState = confState;
    return { snapshot: this.#snapshot, op: { kind: 'snapshot', channel: this.channel, snapshot: this.#snapshot } };
  }

  compact(compactIndex: number): WalOp {
    const removeFrom = this.firstIndex();
    this.#entries.compact(compactIndex);
    const start: LogStart = { index: compactIndex, term: this.#entries.startTerm };
    return { kind: 'compact', channel: this.channel, start, removeFrom };
  }

  /** The whole state, as an engine would recover it (the native-free engine builds its start-up state this way). */
  export(): RecoveredLog {
    const start: LogStart = { index: this.#entries.startIndex, term: this.#entries.startTerm };
    const state = { hardState: this.#hardState, confState: this.#confState, snapshot: this.#snapshot, start, entries: this.#entries.all() };
    return this.#raftId === undefined ? state : { ...state, raftId: this.#raftId };
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
      case 'raftId':
        this.#raftId = op.record;
        return;
      case 'snapshot':
        this.#snapshot = op.snapshot;
        this.#confState = op.snapshot.metadata.confState;
        return;
      case 'compact':
        this.compact(op.start.index);
        return;
      case 'resetLog':
        this.#resetTo(op.snapshot);
        return;
      case 'block':
        assert(false, 'block ops belong to the ledger, not the raft log');
        return;
      case 'dropChannel':
        assert(false, 'a channel drop replaces the log: the engine handles it, not the log');
    }
  }

  #resetTo(snap: Snapshot): void {
    this.#snapshot = snap;
    this.#confState = snap.metadata.confState;
    this.#entries.reset(snap.metadata.index, snap.metadata.term);
  }
}
