import { assert } from './assert.js';
import { encodeConfChange } from './confChangeCodec.js';
import type { RaftConfig } from './config.js';
import { entriesBytes } from './entrySize.js';
import { RaftError } from './errors.js';
import { isLocalMsg, isResponseMsg, newMessage } from './message.js';
import { Raft } from './raft.js';
import { StateType, type Ready, type SoftState } from './state.js';
import { getStatus, type Status } from './status.js';
import type { EntryId } from './logUnstable.js';
import { sendAppend } from './replication.js';
import { EntryType, MessageType, type ConfChange, type ConfState, type Entry, type HardState, type Message, type Snapshot } from './types.js';

const noEntries: readonly Entry[] = Object.freeze([]);

/**
 * The application's handle on one Raft node: feed it ticks, proposals and
 * messages; take Ready structs out, persist/send/apply them, then advance().
 * Storage writes are synchronous from the core's point of view: everything in
 * a Ready must be durable before advance() is called.
 */
export class RawNode {
  readonly #raft: Raft;
  #prevSoftState: SoftState;
  #prevHardState: HardState;
  // What advance() reports back to the core, in this order (etcd steps them as local messages):
  /** Our own votes and acks, addressed to ourselves. */
  #selfMessages: Message[] = [];
  /** The Ready's writes: term at hand-out, last unstable entry, snapshot. */
  #appended: { term: number; last: EntryId | undefined; snapshot: Snapshot | undefined } | undefined = undefined;
  /** The Ready's committed entries. */
  #applied: readonly Entry[] = noEntries;
  /** Invariant: at most one Ready handed out and not yet advanced. */
  #readyOutstanding = false;

  constructor(config: RaftConfig) {
    this.#raft = new Raft(config);
    this.#prevSoftState = this.#raft.softState();
    this.#prevHardState = this.#raft.hardState();
  }

  tick(): void {
    this.#raft.tick();
  }

  /** Starts an election now (pre-vote first if enabled). */
  campaign(): void {
    this.#raft.step(newMessage({ type: MessageType.MsgHup, to: 0 }));
  }

  /** Proposes `data` for the log. Throws ProposalDroppedError if it cannot be accepted now. */
  propose(data: Uint8Array): void {
    this.#raft.step(newMessage({ type: MessageType.MsgProp, to: 0, from: this.#raft.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data }] }));
  }

  /** Proposes a single-step membership change, as an EntryConfChange entry. */
  proposeConfChange(cc: ConfChange): void {
    const data = encodeConfChange(cc);
    this.#raft.step(newMessage({ type: MessageType.MsgProp, to: 0, entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data }] }));
  }

  /**
   * The single-step subset of etcd's ConfChangeV2: exactly one change, which
   * etcd applies as a simple change too. The entry has type ConfChangeV2 and
   * the same encoding as a v1 change (encodeConfChange). Joint consensus
   * (several changes, or explicit/implicit transitions) is refused.
   */
  proposeConfChangeV2(changes: readonly ConfChange[]): void {
    if (changes.length !== 1) {
      throw new RaftError(
        'conf-change-unsupported',
        `ConfChangeV2 with ${changes.length} changes needs joint consensus, which is not supported; propose one change at a time`,
      );
    }
    const data = encodeConfChange(changes[0]!);
    this.#raft.step(newMessage({ type: MessageType.MsgProp, to: 0, entries: [{ term: 0, index: 0, type: EntryType.ConfChangeV2, data }] }));
  }

  /** To call when a committed EntryConfChange(V2) is applied; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.#raft.applyConfChange(cc);
  }

  /** Steps a message received from a peer. Local message types are refused. */
  step(m: Message): void {
    if (isLocalMsg(m.type)) {
      throw new RaftError('step-local-msg', `raft: cannot step raft local message ${MessageType[m.type]} from ${m.from}`);
    }
    if (isResponseMsg(m.type) && !this.#raft.trk.progress.has(m.from)) {
      throw new RaftError('step-peer-not-found', `raft: cannot step ${MessageType[m.type]} as peer ${m.from} not found`);
    }
    this.#raft.step(m);
  }

  hasReady(): boolean {
    const r = this.#raft;
    if (this.#softStateChanged() || this.#hardStateChanged()) return true;
    if (r.log.hasNextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    return r.log.hasNextUnstableEnts() || r.log.hasNextCommittedEnts(true);
  }

  // Field comparisons without building SoftState/HardState objects: hasReady runs in every loop turn.
  #softStateChanged(): boolean {
    const r = this.#raft;
    return r.lead !== this.#prevSoftState.lead || r.state !== this.#prevSoftState.raftState;
  }

  #hardStateChanged(): boolean {
    const r = this.#raft;
    const prev = this.#prevHardState;
    const empty = r.term === 0 && r.vote === 0 && r.log.committed === 0;
    return !empty && (r.term !== prev.term || r.vote !== prev.vote || r.log.committed !== prev.commit);
  }

  /** The pending work. Call advance() after handling it, before the next ready(). */
  ready(): Ready {
    const r = this.#raft;
    assert(!this.#readyOutstanding, 'ready() called twice without advance()');
    const entries = r.log.nextUnstableEnts();
    const snapshot = r.log.nextUnstableSnapshot();
    const committedEntries = r.log.nextCommittedEnts(true);
    // r.msgs is handed over (accept replaces it), so acks are appended to it in place.
    const messages = r.msgs;
    for (const m of r.msgsAfterAppend) if (m.to !== r.id) messages.push(m); // self-addressed: stepped on advance()
    // One object shape for every Ready (absent parts are undefined): built once per cycle per node.
    const rd: Ready = {
      softState: this.#softStateChanged() ? r.softState() : undefined,
      hardState: this.#hardStateChanged() ? r.hardState() : undefined,
      entries,
      snapshot,
      committedEntries,
      messages,
      mustSync: entries.length !== 0 || r.vote !== this.#prevHardState.vote || r.term !== this.#prevHardState.term,
    };
    this.#accept(rd);
    return rd;
  }

  #accept(rd: Ready): void {
    const r = this.#raft;
    if (rd.softState) this.#prevSoftState = rd.softState;
    if (rd.hardState) this.#prevHardState = rd.hardState;
    this.#readyOutstanding = true;
    for (const m of r.msgsAfterAppend) if (m.to === r.id) this.#selfMessages.push(m);
    const hasEntries = r.log.hasNextOrInProgressUnstableEnts();
    if (hasEntries || rd.snapshot) {
      // Once written, the unstable entries (and snapshot) become stable.
      this.#appended = { term: r.term, last: hasEntries ? r.log.lastEntryId() : undefined, snapshot: rd.snapshot };
    }
    this.#applied = rd.committedEntries;
    r.msgs = []; // the Ready owns the old array now
    r.msgsAfterAppend.length = 0; // its messages were copied into the Ready or #selfMessages
    r.log.acceptUnstable();
    if (rd.committedEntries.length > 0) {
      const last = rd.committedEntries[rd.committedEntries.length - 1]!;
      r.log.acceptApplying(last.index, entriesBytes(rd.committedEntries), true);
    }
  }

  /** Everything in the last Ready is persisted, sent and applied. */
  advance(_rd?: Ready): void {
    const r = this.#raft;
    const appended = this.#appended;
    const applied = this.#applied;
    this.#appended = undefined;
    this.#applied = noEntries;
    this.#readyOutstanding = false;
    // Stepping never adds to #selfMessages (only ready() does), so the array is reused.
    for (const m of this.#selfMessages) r.step(m);
    this.#selfMessages.length = 0;
    if (appended) r.storageAppended(appended.term, appended.last, appended.snapshot);
    r.storageApplied(applied);
  }

  status(): Status {
    return getStatus(this.#raft, true);
  }

  /** status() without the members' progress (etcd's BasicStatus): cheap enough to read after every Ready. */
  basicStatus(): Status {
    return getStatus(this.#raft, false);
  }

  transferLeadership(transferee: number): void {
    this.#raft.step(newMessage({ type: MessageType.MsgTransferLeader, to: 0, from: transferee }));
  }

  /**
   * Leader: follower `id` lost its log (it rejected an append with a hint
   * below the index it had acknowledged: a wiped data directory). A leader
   * never lowers a match index by itself; this replicates the follower from
   * scratch, as a new leader would: its match forgotten, probed from index 1
   * (a snapshot when the log was compacted). Safe for the commit index, which
   * never moves back. A no-op elsewhere, or for an unknown id.
   */
  restartFollowerLog(id: number): void {
    const r = this.#raft;
    const pr = r.trk.progress.get(id);
    if (r.state !== StateType.Leader || id === r.id || pr === undefined) return;
    pr.match = 0;
    pr.sentCommit = 0;
    pr.pendingSnapshot = 0;
    pr.becomeProbe();
    sendAppend(r, id);
  }

  /** The transport failed to deliver to `id`: stop streaming to it optimistically. */
  reportUnreachable(id: number): void {
    this.#raft.step(newMessage({ type: MessageType.MsgUnreachable, to: 0, from: id }));
  }

  reportSnapshot(id: number, status: 'finish' | 'failure'): void {
    this.#raft.step(newMessage({ type: MessageType.MsgSnapStatus, to: 0, from: id, reject: status === 'failure' }));
  }

  /** Follower: forget the current leader (e.g. it is known to be gone), so a vote can be granted. */
  forgetLeader(): void {
    this.#raft.step(newMessage({ type: MessageType.MsgForgetLeader, to: 0 }));
  }

  /** Test hook (etcd's SetRandomizedElectionTimeout): fixes the current randomized timeout. */
  setRandomizedElectionTimeout(ticks: number): void {
    this.#raft.randomizedElectionTimeout = ticks;
  }
}
