// One simulated Raft node: a RawNode over a MemoryStorage that plays the
// node's disk. The disk survives a crash; the RawNode (and everything it held
// in memory: unstable entries, progress, the un-persisted part of a Ready)
// does not, exactly as a process crash. The application state is volatile too
// and is rebuilt at restart from the disk's snapshot plus re-applied entries.

import assert from 'node:assert/strict';
import {
  MemoryStorage,
  ProposalDroppedError,
  RaftError,
  RawNode,
  StateType,
  decodeConfChange,
  leavesBeforeWrite,
  type Ready,
} from '../../../src/raft/index.js';
import { ConfChangeType, EntryType, type ConfChange, type ConfState, type Entry, type HardState, type Message } from '../../../src/raft/types.js';
import { applyEntry, decodeAppState, emptyAppState, encodeAppState, type AppState } from './app-state.js';
import { FlakySnapshotStorage } from './flaky-storage.js';
import { InvariantViolation, type SafetyChecker } from './invariants.js';

export interface SimNodeOptions {
  readonly id: number;
  /** The membership this node boots with: the initial voters, or none for a node that joins later. */
  readonly voters: readonly number[];
  readonly electionTick: number;
  /** Distinct election timeouts drawn: electionTick (etcd's) or the chain's half of it. */
  readonly electionJitterTicks: number;
  readonly heartbeatTick: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  /** The simulation's PRNG, shared by all nodes so that a seed replays. */
  readonly random: () => number;
  /** Snapshot and compact once this many applied entries sit in the log; >= 1. */
  readonly snapshotEveryEntries: number;
  /** Entries kept behind a snapshot so that slightly lagging followers catch up without one; >= 0. */
  readonly entriesKeptAfterCompact: number;
  readonly maxSizePerMsg: number;
  readonly maxCommittedSizePerReady: number;
  readonly maxUncommittedEntriesSize: number;
  readonly maxInflightMsgs: number;
  /** Chance in [0, 1] that a snapshot read answers 'snapshot-temporarily-unavailable'. */
  readonly snapshotUnavailableChance: number;
  /**
   * A deliberate bug, for the simulator's own tests only: the Ready's messages
   * leave before it is persisted, and the crash point sits between the two
   * (an application that acknowledges before its fsync).
   */
  readonly sendBeforePersist: boolean;
  /** Told about every entry the node applies (after the checker saw it). */
  readonly onApplied: (nodeId: number, e: Entry) => void;
}

const bootstrapIndex = 1;
const bootstrapTerm = 1;

export class SimNode {
  readonly id: number;
  readonly #options: SimNodeOptions;
  readonly #checker: SafetyChecker;
  readonly #record: (event: string) => void;
  /** The persisted state. Written only in `processReady`, before messages leave. */
  readonly disk = new MemoryStorage();
  /** What the RawNode reads: the disk, with snapshot reads that sometimes fail. */
  readonly #storage: FlakySnapshotStorage;
  /** undefined while the node is down. */
  #raw: RawNode | undefined;
  #app: AppState = emptyAppState;
  #confState: ConfState;
  /** Mirrors of the node's soft and hard state, from its Readys; reset by a crash. */
  #role: StateType = StateType.Follower;
  #lead = 0;
  #hardState: HardState = { term: 0, vote: 0, commit: 0 };
  /** Set when the membership grew: the next applied state is snapshotted at once. */
  #snapshotDue = false;
  /** Counters for the run's summary. */
  snapshotsRestored = 0;
  snapshotsTaken = 0;
  confChangesApplied = 0;

  get snapshotReadsRefused(): number {
    return this.#storage.refused;
  }

  constructor(options: SimNodeOptions, checker: SafetyChecker, record: (event: string) => void) {
    this.id = options.id;
    this.#options = options;
    this.#checker = checker;
    this.#record = record;
    this.#storage = new FlakySnapshotStorage(this.disk, () => options.random() < options.snapshotUnavailableChance);
    this.#confState = { voters: options.voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    if (options.voters.length > 0) {
      // Bootstrap of an initial member: a snapshot at index 1 (term 1) that
      // holds the initial membership, as an orderer starts from a genesis
      // block. Nodes added later start empty and must be sent a snapshot,
      // since the log before it (and so the initial membership) is gone.
      const genesis: AppState = { appliedIndex: bootstrapIndex, checksum: emptyAppState.checksum };
      this.disk.applySnapshot({
        data: encodeAppState(genesis),
        metadata: { confState: this.#confState, index: bootstrapIndex, term: bootstrapTerm },
      });
      this.disk.setHardState({ term: bootstrapTerm, vote: 0, commit: bootstrapIndex });
    }
    this.start();
  }

  get running(): boolean {
    return this.#raw !== undefined;
  }

  get isLeader(): boolean {
    return this.#raw !== undefined && this.#role === StateType.Leader;
  }

  get lead(): number {
    return this.#raw === undefined ? 0 : this.#lead;
  }

  get term(): number {
    return this.#hardState.term;
  }

  get app(): AppState {
    return this.#app;
  }

  /** The membership as of the last applied entry (or restored snapshot). */
  get confState(): ConfState {
    return this.#confState;
  }

  /** Boots (or reboots) from the disk alone. */
  start(): void {
    assert.ok(this.#raw === undefined, `node ${this.id} is already running`);
    const snap = this.disk.snapshot();
    this.#app = snap.metadata.index === 0 ? emptyAppState : decodeAppState(snap.data);
    if (snap.metadata.index > 0) this.#checker.observeSnapshotRestore(this.id, this.#app, snap.metadata.index);
    this.#confState = snap.metadata.confState;
    this.#hardState = this.disk.initialState().hardState;
    this.#checker.observeHardState(this.id, this.#hardState);
    this.#role = StateType.Follower;
    this.#lead = 0;
    const o = this.#options;
    this.#raw = new RawNode({
      id: o.id,
      electionTick: o.electionTick,
      electionJitterTicks: o.electionJitterTicks,
      heartbeatTick: o.heartbeatTick,
      storage: this.#storage,
      applied: this.#app.appliedIndex,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      disableProposalForwarding: o.disableProposalForwarding,
      stepDownOnRemoval: o.stepDownOnRemoval,
      maxSizePerMsg: o.maxSizePerMsg,
      maxCommittedSizePerReady: o.maxCommittedSizePerReady,
      maxUncommittedEntriesSize: o.maxUncommittedEntriesSize,
      maxInflightMsgs: o.maxInflightMsgs,
      random: o.random,
    });
  }

  /** The running RawNode (the chain's leader-loss watch drives it as a chain would). */
  get rawNode(): RawNode {
    assert.ok(this.#raw !== undefined, `node ${this.id} is down`);
    return this.#raw;
  }

  /** Loses everything not on disk. */
  crash(): void {
    assert.ok(this.#raw !== undefined, `node ${this.id} is already down`);
    this.#raw = undefined;
    this.#checker.observeNotLeader(this.id);
  }

  tick(): void {
    this.#raw?.tick();
  }

  step(m: Message): void {
    try {
      this.#raw?.step(m);
    } catch (err) {
      // Errors etcd's Step returns and transports ignore: a forwarded
      // proposal the leader cannot take (e.g. a transfer is in progress; the
      // client finds out by never seeing its entry applied), and a response
      // from a node no longer in the membership.
      if (err instanceof ProposalDroppedError) return;
      if (err instanceof RaftError && err.code === 'step-peer-not-found') return;
      throw err;
    }
  }

  /** Returns false if the node is down or dropped the proposal (no leader, transfer in progress...). */
  propose(data: Uint8Array): boolean {
    if (this.#raw === undefined) return false;
    try {
      this.#raw.propose(data);
      return true;
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
  }

  /** Returns false if the node is down or dropped the proposal. */
  proposeConfChange(cc: ConfChange): boolean {
    if (this.#raw === undefined) return false;
    try {
      this.#raw.proposeConfChange(cc);
      return true;
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
  }

  transferLeadership(to: number): void {
    this.#raw?.transferLeadership(to);
  }

  reportUnreachable(id: number): void {
    this.#raw?.reportUnreachable(id);
  }

  reportSnapshot(id: number, status: 'finish' | 'failure'): void {
    this.#raw?.reportSnapshot(id, status);
  }

  /**
   * Runs the Ready loop until the node is quiet and returns the messages to
   * send, as the chain's Ready loop does: a leader's messages to its
   * followers before the Ready is written, the rest after. `crashHere` is
   * asked twice per Ready: once those are sent and before the write, and once
   * the Ready is on disk and before the rest leave or anything is applied; a
   * crash loses what was not sent. (With
   * `sendBeforePersist`, the deliberate bug, every message leaves before the
   * write and the question is asked once, in between.)
   */
  processReady(crashHere: () => boolean): Message[] {
    const out: Message[] = [];
    // Bound: a quiet node needs one or two Readys; many more means the core loops.
    for (let round = 0; this.#raw?.hasReady(); round++) {
      assert.ok(round < 100, `node ${this.id} produced Readys without end`);
      const raw = this.#raw;
      const rd = raw.ready();
      if (this.#options.sendBeforePersist) {
        for (const m of rd.messages) out.push(m);
        if (crashHere()) {
          this.#record(`n${this.id} crashes after sending a Ready, before persisting it (the deliberate bug)`);
          this.crash();
          break;
        }
        this.#persist(rd);
      } else {
        // As the chain's Ready loop: a leader's messages to its followers leave
        // while the Ready is being written (a crash may cut in before it is on
        // disk), everything else only once it is.
        for (const m of rd.messages) if (leavesBeforeWrite(m.type)) out.push(m);
        if (crashHere()) {
          this.#record(`n${this.id} crashes after sending a Ready's leader messages, before persisting it`);
          this.crash();
          break;
        }
        this.#persist(rd);
        if (crashHere()) {
          this.#record(`n${this.id} crashes after persisting a Ready (its other messages are lost)`);
          this.crash();
          break;
        }
        for (const m of rd.messages) if (!leavesBeforeWrite(m.type)) out.push(m);
      }
      this.#apply(raw, rd);
      raw.advance(rd);
      this.#maybeSnapshot();
    }
    return out;
  }

  #persist(rd: Ready): void {
    this.#checkMustSync(rd);
    if (rd.snapshot !== undefined && rd.snapshot.metadata.index > 0) {
      const snap = rd.snapshot;
      this.disk.applySnapshot(snap);
      this.#app = decodeAppState(snap.data);
      this.#confState = snap.metadata.confState;
      this.#checker.observeSnapshotRestore(this.id, this.#app, snap.metadata.index);
      this.snapshotsRestored++;
      this.#record(`n${this.id} restores snapshot ${snap.metadata.index}/${snap.metadata.term}`);
    }
    if (rd.entries.length > 0) {
      this.disk.append(rd.entries);
      this.#checker.observeAppend(this.id, rd.entries, this.disk);
    }
    if (rd.hardState !== undefined) {
      const hs = rd.hardState;
      this.disk.setHardState(hs);
      this.#checker.observeCommit(this.id, hs.commit, hs.term, this.disk);
      this.#checker.observeHardState(this.id, hs);
      // Term and vote changes explain elections in a failure's event tail; commit moves too often to log.
      if (hs.term !== this.#hardState.term || hs.vote !== this.#hardState.vote) {
        this.#record(`n${this.id} persists term ${hs.term} vote ${hs.vote} commit ${hs.commit}`);
      }
      this.#hardState = hs;
    }
    if (rd.softState !== undefined) {
      this.#role = rd.softState.raftState;
      this.#lead = rd.softState.lead;
      this.#record(`n${this.id} is ${StateType[this.#role]} of term ${this.#hardState.term} (lead ${this.#lead})`);
    }
    if (this.#role === StateType.Leader) this.#checker.observeLeader(this.id, this.#hardState.term, this.disk);
    else this.#checker.observeNotLeader(this.id);
  }

  /**
   * The application fsyncs only when `mustSync` says so: a false "no" loses a
   * vote or acknowledged entries at the next power cut, so it is checked
   * against its definition (entries to write, or a new term or vote).
   */
  #checkMustSync(rd: Ready): void {
    const prev = this.#hardState;
    const hs = rd.hardState;
    const expected = rd.entries.length > 0 || (hs !== undefined && (hs.term !== prev.term || hs.vote !== prev.vote));
    if (rd.mustSync !== expected) {
      throw new InvariantViolation(
        'ready-contract',
        `node ${this.id} Ready.mustSync is ${rd.mustSync} with ${rd.entries.length} entries, ` +
          `hard state ${hs === undefined ? 'unchanged' : `term ${hs.term} vote ${hs.vote}`} after term ${prev.term} vote ${prev.vote}`,
      );
    }
  }

  #apply(raw: RawNode, rd: Ready): void {
    for (const e of rd.committedEntries) {
      if (e.index !== this.#app.appliedIndex + 1) {
        throw new InvariantViolation('apply-order', `node ${this.id} was given entry ${e.index} to apply after ${this.#app.appliedIndex}`);
      }
      this.#app = applyEntry(this.#app, e);
      this.#checker.observeApply(this.id, e, this.#app, this.#hardState.commit);
      this.#options.onApplied(this.id, e);
      if (e.type === EntryType.ConfChange || e.type === EntryType.ConfChangeV2) {
        const cc = decodeConfChange(e.data);
        this.#confState = raw.applyConfChange(cc);
        this.confChangesApplied++;
        // A node refuses a snapshot whose membership does not include it (as
        // etcd's does), so a node that joins behind the compaction point can
        // only catch up from a snapshot taken after it was added. Snapshot now
        // rather than at the next interval, or the newcomer waits that long.
        if (cc.type === ConfChangeType.AddNode || cc.type === ConfChangeType.AddLearnerNode) this.#snapshotDue = true;
        this.#record(
          `n${this.id} applies conf change ${ConfChangeType[cc.type]} ${cc.nodeId} at ${e.index}: voters [${this.#confState.voters.join(',')}] learners [${this.#confState.learners.join(',')}]`,
        );
      }
    }
  }

  #maybeSnapshot(): void {
    const o = this.#options;
    const applied = this.#app.appliedIndex;
    const sinceSnapshot = applied - this.disk.snapshot().metadata.index;
    if (sinceSnapshot <= 0 || (sinceSnapshot < o.snapshotEveryEntries && !this.#snapshotDue)) return;
    this.#snapshotDue = false;
    this.disk.createSnapshot(applied, this.#confState, encodeAppState(this.#app));
    const compactIndex = applied - o.entriesKeptAfterCompact;
    if (compactIndex >= this.disk.firstIndex()) this.disk.compact(compactIndex);
    this.snapshotsTaken++;
    this.#record(`n${this.id} snapshots at ${applied}, log now [${this.disk.firstIndex()}, ${this.disk.lastIndex()}]`);
  }
}
