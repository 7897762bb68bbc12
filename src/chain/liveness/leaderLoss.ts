// Leader-loss detection from the transport: a follower whose cluster stream to
// the leader closes (end, reset) redials at once; when the redial is refused,
// or the stream is not back within a short grace, the leader's process is
// taken for dead. The follower then forgets the leader (etcd's ForgetLeader:
// a leaderless follower grants a PreVote at once, without waiting out its
// CheckQuorum lease) and, after a delay set by its rank among the surviving
// voters (by id) plus a little jitter, campaigns — PreVote first. The first
// survivor campaigns at once; the next only a slot later (half an election
// timeout in the chain), in case the first could not win: two
// survivors campaigning within a message delay of each other would each get
// the other's PreVote and then split the real vote. A survivor that receives a
// PreVote from one whose log is behind its own (Raft refuses it) campaigns at
// once: the busiest follower is often the one a few entries behind. The other survivors saw the same streams close and forgot the
// leader too, so they grant; a survivor that still hears the leader keeps its
// lease and refuses, and a live leader ignores the PreVote: a false alarm (a
// flapping link of one follower) costs that follower one refused PreVote, never
// the cluster a leader change. A survivor that sees the close late has ignored
// the first one's PreVote (its lease, no answer): it steps that PreVote again
// once it forgets the leader itself. What this cannot see: a leader that is alive to
// the kernel but silent (paused process, cut cable, full partition) closes no
// stream; the election timeout still finds it.

import type { Logger } from 'pino';
import { MessageType, StateType, type Message, type RawNode } from '../../raft/index.js';
import type { ChainClock, TimerHandle } from '../../clock.js';

/** Why the leader was taken for dead, as the metric label. */
export type LeaderLossCause = 'redial_refused' | 'no_reconnect';

export interface LeaderLossOptions {
  /** False: no early campaign; a lost leader is found by the election timeout only. */
  readonly enabled: boolean;
  /** How long a closed stream to the leader may take to come back before the leader is taken for dead. */
  readonly graceMs: number;
  /**
   * The spacing of two survivors' campaigns (their ranks differ by one). It must
   * exceed a PreVote's one-way delay, event-loop lag included, so that the next
   * survivor sees the first one's PreVote before its own turn and postpones
   * instead of splitting the vote.
   */
  readonly slotMs: number;
}

export interface LeaderLossHost {
  readonly selfId: number;
  readonly log: Logger;
  readonly clock: ChainClock;
  /** Uniform floats in [0, 1): the jitter of the campaign delay. */
  readonly random: () => number;
  raft(): RawNode;
  kick(): void;
  /** True while this node's stream to `peer` is established. */
  isReachable(peer: number): boolean;
  /** Dials `peer` at once if no stream is up or being set up; a refusal is reported as another loss of `peer`. */
  probe(peer: number): void;
  /** Counts one early campaign. */
  countEarlyCampaign(cause: LeaderLossCause): void;
  /** Index and term of the last entry of this node's durable Raft log. */
  lastLog(): { readonly index: number; readonly term: number };
}

/** A (pre)vote request of another node seen within a slot postpones our early campaign by one slot, this many times at most. */
const POSTPONES_MAX = 4;
/** Early campaigns per lost leader, at least (a PreVote refused by a survivor that had not yet seen the loss is tried again, for a slot). */
const CAMPAIGNS_MIN = 3;

interface Suspicion {
  readonly leader: number;
  /** clock.now() when the stream to the leader closed. */
  readonly closedAt: number;
  timer: TimerHandle | undefined;
  cause: LeaderLossCause | undefined;
  postponed: number;
  campaigns: number;
}

/**
 * A PreVote that arrived while this node still followed a leader: its Raft
 * ignored it (the CheckQuorum lease) and sent no answer.
 */
interface IgnoredPreVote {
  readonly message: Message;
  /** clock.now() when it arrived. */
  readonly at: number;
}

export class LeaderLossWatch {
  #suspicion: Suspicion | undefined;
  /** clock.now() of the last PreVote/Vote request from another node. */
  #voteRequestAt = -Infinity;
  #ignoredPreVote: IgnoredPreVote | undefined;

  constructor(
    private readonly host: LeaderLossHost,
    private readonly options: LeaderLossOptions,
  ) {}

  get slotMs(): number {
    return this.options.slotMs;
  }

  /** The transport reports the stream to `peer` broken (or a redial to it failed). */
  onPeerLost(peer: number): void {
    if (!this.options.enabled) return;
    const s = this.#suspicion;
    if (s !== undefined && s.leader === peer) {
      // The redial we asked for failed: nobody listens there any more.
      if (s.cause === undefined) this.#declareLost(s, 'redial_refused');
      return;
    }
    const status = this.host.raft().status();
    if (status.softState.raftState !== StateType.Follower || status.softState.lead !== peer) return;
    this.#cancel();
    const suspicion: Suspicion = { leader: peer, closedAt: this.host.clock.now(), timer: undefined, cause: undefined, postponed: 0, campaigns: 0 };
    this.#suspicion = suspicion;
    suspicion.timer = this.host.clock.after(this.options.graceMs, () => this.#graceOver(suspicion));
    this.host.probe(peer);
  }

  /**
   * Every inbound Raft message. Another node's (pre)vote request postpones our
   * own campaign — unless its log is behind ours: Raft refuses it, and then
   * this node is the one that can win, so it campaigns at once.
   */
  observe(m: Message): void {
    if (m.type !== MessageType.MsgPreVote && m.type !== MessageType.MsgVote) return;
    if (m.type === MessageType.MsgPreVote && this.options.enabled) this.#rememberIfIgnored(m);
    const s = this.#suspicion;
    if (s === undefined) return;
    const last = this.host.lastLog();
    const behind = m.logTerm < last.term || (m.logTerm === last.term && m.index < last.index);
    if (behind && s.cause !== undefined && s.campaigns === 0) {
      s.timer?.cancel();
      s.timer = this.host.clock.after(0, () => this.#campaign(s, true));
      return;
    }
    this.#voteRequestAt = this.host.clock.now();
  }

  /**
   * The known leader (on every soft state, or more often): another leader, or
   * the lost one known again after it was forgotten, ends the watch.
   */
  onLeader(lead: number): void {
    const s = this.#suspicion;
    if (s === undefined || lead === 0) return;
    if (lead !== s.leader || s.cause !== undefined) this.#cancel();
  }

  /** Stops the timers (chain closing). */
  close(): void {
    this.#cancel();
  }

  /**
   * A survivor that saw the leader's streams close before this node did
   * campaigns while this node still follows the leader: its Raft ignores the
   * PreVote (lease) and answers nothing, and the pre-candidate would wait for
   * a retry or an election timeout. Kept (the latest, one) so that it can be
   * stepped again once this node forgot the leader too.
   */
  #rememberIfIgnored(m: Message): void {
    const soft = this.host.raft().status().softState;
    if (soft.raftState === StateType.Follower && soft.lead !== 0 && soft.lead !== m.from) {
      this.#ignoredPreVote = { message: m, at: this.host.clock.now() };
    }
  }

  /**
   * Steps again a PreVote ignored within the last slot, now that the leader is
   * forgotten: Raft answers it as it would answer the same message delivered
   * late (grant if the candidate's log is as far along, else reject; a stale
   * term is refused), so nothing Raft decides changes, only when.
   */
  #replayIgnoredPreVote(lost: number): void {
    const ignored = this.#ignoredPreVote;
    this.#ignoredPreVote = undefined;
    if (ignored === undefined || ignored.message.from === lost) return;
    const ageMs = this.host.clock.now() - ignored.at;
    if (ageMs > this.options.slotMs) return;
    this.host.log.info(
      { candidate: ignored.message.from, term: ignored.message.term },
      `answering the PreVote of ${ignored.message.from} ignored ${Math.round(ageMs)} ms ago while leader ${lost} was still followed`,
    );
    this.host.raft().step(ignored.message);
  }

  #graceOver(s: Suspicion): void {
    if (this.#suspicion !== s || s.cause !== undefined) return;
    if (this.host.isReachable(s.leader)) {
      this.host.log.debug({ leader: s.leader }, `stream to leader ${s.leader} came back within ${this.options.graceMs} ms`);
      this.#cancel();
      return;
    }
    this.#declareLost(s, 'no_reconnect');
  }

  #declareLost(s: Suspicion, cause: LeaderLossCause): void {
    s.timer?.cancel();
    s.cause = cause;
    const raft = this.host.raft();
    const status = raft.status();
    // Only a follower of that very leader forgets it (a new leader may already be known).
    if (status.softState.raftState !== StateType.Follower || status.softState.lead !== s.leader) {
      this.#cancel();
      return;
    }
    raft.forgetLeader();
    this.#replayIgnoredPreVote(s.leader);
    const delayMs = this.#campaignDelayMs(status.config.voters, s.leader);
    this.host.log.info(
      { leader: s.leader, cause, campaignInMs: Math.round(delayMs) },
      `${this.#describe(s)}: leader ${s.leader} forgotten, campaigning in ${Math.round(delayMs)} ms unless another leader is known first`,
    );
    // The first survivor campaigns in this very turn: a zero-delay timer would
    // run only after every other event the loop has queued, and the survivor
    // that reads the close last is the busiest one (the failover's critical path).
    if (delayMs === 0) this.#campaign(s);
    else s.timer = this.host.clock.after(delayMs, () => this.#campaign(s));
    this.host.kick();
  }

  /**
   * Rank among the surviving voters (by id) times a slot: the first survivor
   * at once (every survivor computes the same ranks, so no jitter is needed to
   * keep it apart from the others; a jitter there only added its mean to every
   * failover); later ones a slot each plus jitter up to a quarter of the grace.
   */
  #campaignDelayMs(voters: readonly number[], lost: number): number {
    const survivors = voters.filter((id) => id !== lost).sort((a, b) => a - b);
    const rank = Math.max(0, survivors.indexOf(this.host.selfId));
    if (rank === 0) return 0;
    return rank * this.slotMs + (this.host.random() * this.options.graceMs) / 4;
  }

  /**
   * Campaigns unless a leader is known, this node's own campaign is still
   * under way, or another survivor's is. A PreVote refused because a slower
   * survivor had not yet seen the loss (its lease still held) leaves this node
   * a leaderless follower: it tries again every 2 graces for a slot (at least
   * CAMPAIGNS_MIN times in all) — a loaded peer may see the loss hundreds of
   * milliseconds late.
   */
  #campaign(s: Suspicion, ahead = false): void {
    if (this.#suspicion !== s) return;
    const raft = this.host.raft();
    const status = raft.status();
    if (status.softState.lead !== 0 || !status.config.voters.includes(this.host.selfId)) {
      this.#cancel();
      return;
    }
    const retryMs = 2 * this.options.graceMs;
    if (status.softState.raftState !== StateType.Follower) {
      s.timer = this.host.clock.after(retryMs, () => this.#campaign(s));
      return;
    }
    const now = this.host.clock.now();
    if (!ahead && now - this.#voteRequestAt < this.slotMs && s.postponed < POSTPONES_MAX) {
      // Another survivor campaigns: give its election a slot before competing with it.
      s.postponed++;
      s.timer = this.host.clock.after(this.slotMs, () => this.#campaign(s));
      return;
    }
    if (s.campaigns >= Math.max(CAMPAIGNS_MIN, Math.ceil(this.slotMs / retryMs))) {
      this.#cancel(); // the election timeout takes over
      return;
    }
    s.campaigns++;
    const cause = s.cause!;
    this.host.countEarlyCampaign(cause);
    this.host.log.warn({ leader: s.leader, term: status.hardState.term, cause, attempt: s.campaigns }, `${this.#describe(s)}: campaigning early`);
    raft.campaign();
    this.host.kick();
    s.timer = this.host.clock.after(retryMs, () => this.#campaign(s));
  }

  #describe(s: Suspicion): string {
    const agoMs = Math.round(this.host.clock.now() - s.closedAt);
    const how = s.cause === 'redial_refused' ? 'its redial refused' : `not back within ${this.options.graceMs} ms`;
    return `stream to leader ${s.leader} closed ${agoMs} ms ago, ${how}`;
  }

  #cancel(): void {
    this.#suspicion?.timer?.cancel();
    this.#suspicion = undefined;
  }
}
