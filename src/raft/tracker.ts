import { assert } from './assert.js';
import { Inflights } from './inflights.js';
import type { Progress } from './progress.js';
import { committedIndex, describeIdSet, sortedIds, voteResult, VoteResult } from './quorum.js';
import type { ConfState } from './types.js';

/** Membership: who votes and who only learns. Invariant: voters ∩ learners = ∅. */
export interface MembershipConfig {
  readonly voters: ReadonlySet<number>;
  readonly learners: ReadonlySet<number>;
}

export function describeMembership(c: MembershipConfig): string {
  let s = `voters=${describeIdSet(c.voters)}`;
  if (c.learners.size > 0) s += ` learners=${describeIdSet(c.learners)}`;
  return s;
}

export function confStateOf(c: MembershipConfig): ConfState {
  return {
    voters: sortedIds(c.voters),
    learners: sortedIds(c.learners),
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
}

/**
 * The leader's (and candidate's) bookkeeping: membership, per-member
 * progress and the votes of the current election.
 * Invariant: progress has exactly one entry per voter and learner.
 */
export class ProgressTracker {
  config: MembershipConfig = { voters: new Set(), learners: new Set() };
  #progress: ReadonlyMap<number, Progress> = new Map();
  /** Ids of `progress` in ascending order, recomputed when the map is replaced. */
  #sortedIds: number[] = [];
  votes = new Map<number, boolean>();

  constructor(
    /** Bound on unacknowledged MsgApp per follower. */
    readonly maxInflightMsgs: number,
    /** Bound on unacknowledged entry bytes per follower (Infinity = none). */
    readonly maxInflightBytes: number,
  ) {}

  /** Per-member progress. Replaced as a whole on membership changes, never edited in place. */
  get progress(): ReadonlyMap<number, Progress> {
    return this.#progress;
  }

  set progress(p: ReadonlyMap<number, Progress>) {
    this.#progress = p;
    this.#sortedIds = sortedIds(p.keys());
  }

  newInflights(): Inflights {
    return new Inflights(this.maxInflightMsgs, this.maxInflightBytes === Infinity ? 0 : this.maxInflightBytes);
  }

  /** Highest index a majority of voters has in its log. */
  committed(): number {
    return committedIndex(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** Calls `f` for every member in ascending id order (deterministic output). */
  visit(f: (id: number, pr: Progress) => void): void {
    for (const id of this.#sortedIds) f(id, this.#progress.get(id)!);
  }

  /** Whether a majority of voters was active since the last check. */
  quorumActive(): boolean {
    const votes = new Map<number, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return voteResult(this.config.voters, votes) === VoteResult.Won;
  }

  voterIds(): number[] {
    return sortedIds(this.config.voters);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records `id`'s vote; only its first vote in an election counts. */
  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: voteResult(this.config.voters, this.votes) };
  }

  assertInvariants(): void {
    for (const id of this.config.voters) {
      assert(!this.config.learners.has(id), () => `${id} is both voter and learner`);
      assert(this.progress.get(id)?.isLearner === false, () => `voter ${id} has no voter progress`);
    }
    for (const id of this.config.learners) {
      assert(this.progress.get(id)?.isLearner === true, () => `learner ${id} has no learner progress`);
    }
    assert(this.progress.size === this.config.voters.size + this.config.learners.size, 'progress of a non-member');
  }
}
