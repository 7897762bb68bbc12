import { assert, assertIndexOrTerm } from './assert.js';
import { restoreConfState } from './confchange.js';
import { resolveConfig, type RaftConfig, type ResolvedRaftConfig } from './config.js';
import { handleVoteRequest, hup, isTransferContext } from './election.js';
import { entriesBytes } from './entrySize.js';
import { RaftLog } from './log.js';
import type { RaftLogger } from './logger.js';
import { applyAndSwitchConfig, switchToConfig } from './membership.js';
import { newMessage, type MessageFields } from './message.js';
import { ProgressState } from './progress.js';
import { randomIntBelow } from './random.js';
import { bcastAppend } from './replication.js';
import { roleOf } from './roles.js';
import { StateType, type SoftState } from './state.js';
import { ProgressTracker } from './tracker.js';
import type { EntryId } from './logUnstable.js';
import { EntryType, MessageType, type ConfChange, type ConfState, type Entry, type HardState, type Message, type Snapshot } from './types.js';

// Hot-path constants: enum members read once (imported enums are live bindings).
const { MsgVote, MsgVoteResp, MsgPreVote, MsgPreVoteResp, MsgProp, MsgReadIndex, MsgAppResp } = MessageType;

/** Why a node campaigns: a pre-vote round, a real election, or a leader transfer (skips pre-vote and leases). */
export type CampaignType = 'CampaignPreElection' | 'CampaignElection' | 'CampaignTransfer';

/**
 * The Raft state machine of one node. Pure and synchronous: input arrives as
 * step() and tick(), output accumulates in `msgs` / `msgsAfterAppend` and the
 * log's unstable part, which RawNode turns into Ready structs.
 * The role-specific behaviour lives in roles.ts (step and tick per StateType).
 */
export class Raft {
  readonly id: number;
  readonly cfg: ResolvedRaftConfig;
  readonly logger: RaftLogger;
  /** Invariant: never decreases; a safe integer. */
  term = 0;
  /** Whom we voted for in `term` (0 = nobody). */
  vote = 0;
  readonly log: RaftLog;
  trk: ProgressTracker;
  state = StateType.Follower;
  /** Whether this node is a learner in the current membership (it never campaigns). */
  isLearner = false;
  /** Messages to send at once. */
  msgs: Message[] = [];
  /** Messages to send only after the entries of this Ready are durable (acks, votes). */
  msgsAfterAppend: Message[] = [];
  /** The leader of `term` as far as we know (0 = none). */
  lead = 0;
  /** Target of a leader transfer in progress (0 = none). Leader only. */
  leadTransferee = 0;
  /** Index of the latest conf change proposed by this leader; a new one waits until it is applied. */
  pendingConfIndex = 0;
  /** Bytes of entry data appended by this leader and not yet committed/applied. */
  uncommittedBytes = 0;
  /** Ticks since the last election timeout reset (followers/candidates) or CheckQuorum round (leaders). */
  electionElapsed = 0;
  /** Leader only: ticks since the last heartbeat. */
  heartbeatElapsed = 0;
  /** In [electionTick, electionTick + electionJitterTicks); re-drawn on every reset. */
  randomizedElectionTimeout = 0;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.logger = this.cfg.logger;
    const storage = this.cfg.storage;
    this.log = new RaftLog(storage, this.logger, this.cfg.maxCommittedSizePerReady);
    const { hardState, confState } = storage.initialState();
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const lastIndex = this.log.lastIndex();
    const restored = restoreConfState({ config: this.trk.config, progress: this.trk.progress }, () => this.trk.newInflights(), lastIndex, confState);
    switchToConfig(this, restored);
    if (hardState.term !== 0 || hardState.vote !== 0 || hardState.commit !== 0) this.loadState(hardState);
    if (this.cfg.applied > 0) this.log.appliedTo(this.cfg.applied, 0);
    this.becomeFollower(this.term, 0);
    const last = this.log.lastEntryId();
    this.logger.info(
      `newRaft ${this.hexId()} [peers: [${this.trk
        .voterIds()
        .map((id) => id.toString(16))
        .join(',')}], term: ${this.term}, commit: ${this.log.committed}, applied: ${this.log.applied}, lastindex: ${last.index}, lastterm: ${last.term}]`,
    );
  }

  hexId(): string {
    return this.id.toString(16);
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /**
   * Queues `f` for sending, stamping sender and term. Vote messages carry
   * their own term; MsgProp keeps term 0 (it is not a Raft RPC); everything
   * else gets the current term.
   */
  send(f: MessageFields): void {
    const t = f.type;
    const isVote = t === MsgVote || t === MsgVoteResp || t === MsgPreVote || t === MsgPreVoteResp;
    let term = f.term ?? 0;
    if (isVote) {
      assert(term !== 0, () => `term should be set when sending ${MessageType[t]}`);
    } else {
      assert(term === 0, () => `term should not be set when sending ${MessageType[t]} (was ${term})`);
      if (t !== MsgProp && t !== MsgReadIndex) term = this.term;
    }
    const m = newMessage(f, f.from || this.id, term);
    if (t === MsgAppResp || t === MsgVoteResp || t === MsgPreVoteResp) {
      // Acks and votes promise durability: they leave only after the Ready's writes.
      this.msgsAfterAppend.push(m);
    } else {
      assert(m.to !== this.id, () => `message should not be self-addressed when sending ${MessageType[t]}`);
      this.msgs.push(m);
    }
  }

  appliedTo(index: number, sizeBytes: number): void {
    this.log.appliedTo(Math.max(index, this.log.applied), sizeBytes);
  }

  maybeCommit(): boolean {
    return this.log.maybeCommit({ term: this.term, index: this.trk.committed() });
  }

  reset(term: number): void {
    if (this.term !== term) {
      assertIndexOrTerm(term, 'term');
      assert(term > this.term, () => `term must not decrease: ${this.term} -> ${term}`);
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = 0;
    this.trk.resetVotes();
    const lastIndex = this.log.lastIndex();
    this.trk.visit((id, pr) => {
      pr.match = id === this.id ? lastIndex : 0;
      pr.next = lastIndex + 1;
      pr.sentCommit = 0;
      pr.state = ProgressState.Probe;
      pr.pendingSnapshot = 0;
      pr.recentActive = false;
      pr.msgAppFlowPaused = false;
      pr.inflights.reset();
    });
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
  }

  /** Leader: appends proposals to its own log at the current term. False if the uncommitted bound is hit. */
  appendEntry(es: readonly Pick<Entry, 'type' | 'data'>[]): boolean {
    const li = this.log.lastIndex();
    assertIndexOrTerm(li + es.length, 'log index');
    const ents: Entry[] = es.map((e, i) => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    const size = entriesBytes(ents);
    if (this.uncommittedBytes > 0 && size > 0 && this.uncommittedBytes + size > this.cfg.maxUncommittedEntriesSize) {
      this.logger.warn(`${this.hexId()} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    this.uncommittedBytes += size;
    const last = this.log.append(ents);
    // Our own ack, stepped once the entries are durable (RawNode.advance).
    this.send({ to: this.id, type: MessageType.MsgAppResp, index: last });
    return true;
  }

  reduceUncommittedBytes(n: number): void {
    this.uncommittedBytes = n > this.uncommittedBytes ? 0 : this.uncommittedBytes - n;
  }

  tick(): void {
    roleOf(this.state).tick(this);
  }

  tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgHup, to: 0, from: this.id }));
    }
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger.info(`${this.hexId()} became follower at term ${this.term}`);
  }

  becomeCandidate(): void {
    assert(this.state !== StateType.Leader, 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger.info(`${this.hexId()} became candidate at term ${this.term}`);
  }

  becomePreCandidate(): void {
    assert(this.state !== StateType.Leader, 'invalid transition [leader -> pre-candidate]');
    // Pre-vote changes neither term nor vote: a failed pre-election leaves no trace.
    this.trk.resetVotes();
    this.lead = 0;
    this.state = StateType.PreCandidate;
    this.logger.info(`${this.hexId()} became pre-candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    assert(this.state !== StateType.Follower, 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // Conf changes in the uncommitted tail may be pending: refuse new ones until they are applied.
    this.pendingConfIndex = this.log.lastIndex();
    // An empty entry of our term lets us commit everything before it (current-term rule).
    assert(this.appendEntry([{ type: EntryType.Normal, data: new Uint8Array(0) }]), 'empty entry was dropped');
    this.logger.info(`${this.hexId()} became leader at term ${this.term}`);
  }

  /** The entry point for every message, local or remote. Throws ProposalDroppedError. */
  step(m: Message): void {
    if (!this.#stepTerm(m)) return;
    switch (m.type) {
      case MessageType.MsgHup:
        hup(this, this.cfg.preVote ? 'CampaignPreElection' : 'CampaignElection');
        break;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        handleVoteRequest(this, m);
        break;
      default:
        roleOf(this.state).step(this, m);
    }
  }

  appliedSnap(index: number): void {
    this.log.stableSnapTo(index);
    this.appliedTo(index, 0);
  }

  /**
   * The application made a Ready's writes durable: its entries up to `last`
   * and its snapshot, handed out while the term was `writtenAtTerm`.
   * (etcd's MsgStorageAppendResp, as a call: no message object per Ready.)
   */
  storageAppended(writtenAtTerm: number, last: EntryId | undefined, snapshot: Snapshot | undefined): void {
    if (writtenAtTerm !== 0 && writtenAtTerm < this.term) {
      // The log may have been truncated by a new leader since: the entries'
      // stability is unknown, so keep them unstable. The snapshot still counts.
      if (last) this.logger.info(`${this.hexId()} [term: ${this.term}] ignored entry appends from a write at lower term ${writtenAtTerm}`);
    } else if (last) {
      this.log.stableTo(last);
    }
    if (snapshot) this.appliedSnap(snapshot.metadata.index);
  }

  /** The application applied `entries` (etcd's MsgStorageApplyResp, as a call). */
  storageApplied(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const bytes = entriesBytes(entries);
    this.appliedTo(entries[entries.length - 1]!.index, bytes);
    this.reduceUncommittedBytes(bytes);
  }

  /** Term rules common to every role. Returns false if the message is consumed (stale or ignored). */
  #stepTerm(m: Message): boolean {
    if (m.term === 0) return true; // local message
    if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = isTransferContext(m.context);
        const inLease = this.cfg.checkQuorum && this.lead !== 0 && this.electionElapsed < this.cfg.electionTick;
        if (!force && inLease) {
          // We heard from a leader within the election timeout: do not let a
          // disruptive node depose it (CheckQuorum lease).
          const last = this.log.lastEntryId();
          this.logger.info(
            `${this.hexId()} [logterm: ${last.term}, index: ${last.index}, vote: ${this.vote.toString(16)}] ignored ${MessageType[m.type]} from ${m.from.toString(16)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.cfg.electionTick - this.electionElapsed})`,
          );
          return false;
        }
      }
      if (m.type === MessageType.MsgPreVote || (m.type === MessageType.MsgPreVoteResp && !m.reject)) {
        // Pre-votes do not change our term; a granted pre-vote response's term is the future one.
        return true;
      }
      this.logger.info(
        `${this.hexId()} [term: ${this.term}] received a ${MessageType[m.type]} message with higher term from ${m.from.toString(16)} [term: ${m.term}]`,
      );
      const fromLeader = m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap;
      this.becomeFollower(m.term, fromLeader ? m.from : 0);
      return true;
    }
    if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)) {
        // A stale leader would otherwise never learn our term if we ignored it
        // (with CheckQuorum/PreVote we may never bump its term by campaigning).
        this.send({ to: m.from, type: MessageType.MsgAppResp });
      } else if (m.type === MessageType.MsgPreVote) {
        const last = this.log.lastEntryId();
        this.logger.info(
          `${this.hexId()} [logterm: ${last.term}, index: ${last.index}, vote: ${this.vote.toString(16)}] rejected ${MessageType[m.type]} from ${m.from.toString(16)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
        );
        this.send({ to: m.from, term: this.term, type: MessageType.MsgPreVoteResp, reject: true });
      } else {
        this.logger.info(
          `${this.hexId()} [term: ${this.term}] ignored a ${MessageType[m.type]} message with lower term from ${m.from.toString(16)} [term: ${m.term}]`,
        );
      }
      return false;
    }
    return true;
  }

  /** Whether this node may become leader: a voter with no snapshot pending. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasNextOrInProgressSnapshot();
  }

  applyConfChange(cc: ConfChange): ConfState {
    return applyAndSwitchConfig(this, cc);
  }

  loadState(hs: HardState): void {
    assert(
      hs.commit >= this.log.committed && hs.commit <= this.log.lastIndex(),
      () => `${this.hexId()} state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
    );
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTick + randomIntBelow(this.cfg.random, this.cfg.electionJitterTicks);
  }

  sendTimeoutNow(to: number): void {
    this.send({ to, type: MessageType.MsgTimeoutNow });
  }

  /** Leader: a vote was won, take over and tell everyone. */
  winElection(): void {
    this.becomeLeader();
    bcastAppend(this);
  }
}
