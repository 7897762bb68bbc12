// One channel's durable Raft Storage: reads are synchronous from the in-memory
// log; every mutation is applied to memory at once (so the next one is checked
// against it) and queued to the node's group commit. A promise says when it is
// durable: the Ready loop must not send messages that depend on a Ready (votes,
// appends acknowledged) before persistReady resolves.

import type { Storage } from '../raft/index.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/index.js';
import { ChannelReleasedError } from './errors.js';
import type { GroupCommitter } from './groupCommit.js';
import type { MemoryLog } from './memoryLog.js';
import type { RaftIdRecord, WalOp } from './walOps.js';

/** What one Raft Ready asks to persist. */
export interface ReadyToPersist {
  readonly entries?: readonly Entry[] | undefined;
  /** Undefined = unchanged. */
  readonly hardState?: HardState | undefined;
  /** A snapshot received from the leader (applied before the entries); undefined = none. */
  readonly snapshot?: Snapshot | undefined;
}

export class DurableRaftStorage implements Storage {
  /** Settles after every write queued so far; never rejects (the failure is kept in #failure). */
  #lastWrite: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  /** Set by release (WalEnvironment.releaseChannel): every mutation is refused from then on. */
  #released = false;

  constructor(
    readonly channel: string,
    private readonly log: MemoryLog,
    private readonly committer: GroupCommitter,
    /** Entries kept before a snapshot point when compacting (Fabric: SnapshotCatchUpEntries = 4). */
    private readonly snapshotCatchUpEntries: number,
  ) {}

  // ---- Storage (reads) ----
  initialState(): { hardState: HardState; confState: ConfState } {
    return this.log.initialState();
  }
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    return this.log.entries(lo, hi, maxSizeBytes);
  }
  term(i: number): number {
    return this.log.term(i);
  }
  lastIndex(): number {
    return this.log.lastIndex();
  }
  firstIndex(): number {
    return this.log.firstIndex();
  }
  snapshot(): Snapshot {
    return this.log.snapshot();
  }

  /**
   * The Raft id recorded for this channel (recordRaftId), undefined if none:
   * the node then runs it as its own id or the one its ledger's config gives it.
   */
  get raftId(): RaftIdRecord | undefined {
    return this.log.raftId;
  }

  /**
   * Records the Raft id this node runs the channel as from now on, and the
   * config block that gave it; resolves once durable. Dropping the channel's
   * Raft state drops the record with it.
   */
  recordRaftId(record: RaftIdRecord): Promise<void> {
    this.#throwIfFailed();
    return this.#submit([this.log.setRaftId(record)]);
  }

  // ---- The Ready loop's write side ----

  /**
   * Persists one Ready atomically (snapshot, then entries with truncation of a
   * conflicting suffix, then hard state). Memory reflects it on return; the
   * promise resolves when it is on disk.
   */
  persistReady(ready: ReadyToPersist): Promise<void> {
    this.#throwIfFailed();
    const ops: WalOp[] = [];
    if (ready.snapshot !== undefined && ready.snapshot.metadata.index > 0) ops.push(this.log.applySnapshot(ready.snapshot));
    if (ready.entries !== undefined) {
      const op = this.log.append(ready.entries);
      if (op !== null) ops.push(op);
    }
    if (ready.hardState !== undefined) ops.push(this.log.setHardState(ready.hardState));
    return this.#submit(ops);
  }

  /**
   * Fabric's snapshot: records the snapshot at applied index `i` (data = the
   * last block) and compacts the log so that `snapshotCatchUpEntries` entries
   * before `i` remain for slow followers; one atomic write.
   */
  takeSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Promise<Snapshot> {
    this.#throwIfFailed();
    const { snapshot, op } = this.log.createSnapshot(i, cs, data);
    const ops: WalOp[] = [op];
    const compactIndex = i - this.snapshotCatchUpEntries;
    if (compactIndex >= this.log.firstIndex()) ops.push(this.log.compact(compactIndex));
    return this.#submit(ops).then(() => snapshot);
  }

  /** Resolves when every write so far is durable; rejects with the storage failure if one failed. */
  async whenDurable(): Promise<void> {
    await this.#lastWrite;
    if (this.#failure !== undefined) throw this.#failure;
  }

  // ---- Single mutations (MemoryStorage's write API; each is its own atomic write) ----
  append(entries: readonly Entry[]): void {
    this.#throwIfFailed();
    const op = this.log.append(entries);
    if (op !== null) void this.#submit([op]);
  }
  setHardState(hs: HardState): void {
    this.#throwIfFailed();
    void this.#submit([this.log.setHardState(hs)]);
  }
  /** Records the membership after a conf change, so a restart starts from it. */
  setConfState(cs: ConfState): void {
    this.#throwIfFailed();
    void this.#submit([this.log.setConfState(cs)]);
  }
  applySnapshot(snap: Snapshot): void {
    this.#throwIfFailed();
    void this.#submit([this.log.applySnapshot(snap)]);
  }
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    this.#throwIfFailed();
    const { snapshot, op } = this.log.createSnapshot(i, cs, data);
    void this.#submit([op]);
    return snapshot;
  }
  compact(compactIndex: number): void {
    this.#throwIfFailed();
    void this.#submit([this.log.compact(compactIndex)]);
  }

  /**
   * WalEnvironment.releaseChannel: refuses later mutations and resolves once
   * the writes already submitted have settled (a failure stays the caller's:
   * the environment's committer refuses everything after it anyway).
   */
  async release(): Promise<void> {
    this.#released = true;
    await this.#lastWrite;
  }

  #submit(ops: readonly WalOp[]): Promise<void> {
    const written = this.committer.submit(ops);
    // Kept for whenDurable and for sync callers who do not await: the failure is
    // recorded so the next mutation throws it instead of being silently lost.
    this.#lastWrite = Promise.all([this.#lastWrite, written]).then(
      () => undefined,
      (err: unknown) => {
        this.#failure ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    return written;
  }

  #throwIfFailed(): void {
    if (this.#released) throw new ChannelReleasedError(this.channel);
    const failure = this.#failure ?? this.committer.failure;
    if (failure !== undefined) throw failure;
  }
}
