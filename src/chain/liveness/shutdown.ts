// Graceful shutdown of a leader (SIGTERM): hand leadership to the most
// caught-up reachable follower before stopping, so clients see a leader
// transfer (a heartbeat or two) instead of an election timeout. Bounded: a
// transfer that has not produced another leader after `maxTicks` ticks is
// abandoned and the node stops anyway (the others elect after their timeout).

import assert from 'node:assert/strict';
import type { Status } from '../../raft/index.js';

/**
 * The voter other than `selfId` with the highest match index among those
 * `isReachable` says are connected; undefined when there is none. Leader only
 * (`status.progress` present).
 */
export function mostCaughtUpFollower(status: Status, selfId: number, isReachable: (id: number) => boolean): number | undefined {
  assert.ok(status.progress !== undefined, 'mostCaughtUpFollower needs the leader status (with progress)');
  let best: number | undefined;
  let bestMatch = -1;
  for (const id of status.config.voters) {
    if (id === selfId || !isReachable(id)) continue;
    const match = status.progress.get(id)?.match ?? 0;
    if (match > bestMatch || (match === bestMatch && best !== undefined && id < best)) {
      best = id;
      bestMatch = match;
    }
  }
  return best;
}

export type HandoffOutcome = 'transferred' | 'timed-out' | 'abandoned';

/**
 * Waits for a leader transfer to complete: another node leads and nothing is
 * left for it to take over (`settled()`), or `maxTicks` ticks passed.
 */
export class LeadershipHandoff {
  readonly done: Promise<HandoffOutcome>;
  #resolve!: (outcome: HandoffOutcome) => void;
  /** Invariant: 0 <= #ticks <= maxTicks while pending. */
  #ticks = 0;
  #finished = false;
  #newLeader = 0;

  constructor(
    private readonly selfId: number,
    private readonly maxTicks: number,
    /** True once the envelopes this node held for the next leader were taken over. */
    private readonly settled: () => boolean,
    /** True when waiting longer is pointless (the transferee became unreachable, Raft aborted the transfer). */
    private readonly abandoned: () => boolean = () => false,
  ) {
    assert.ok(Number.isSafeInteger(maxTicks) && maxTicks > 0, 'maxTicks must be a positive integer');
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** The leader this node saw last (0: none yet). */
  get newLeader(): number {
    return this.#newLeader;
  }

  onLeader(lead: number): void {
    if (lead !== this.selfId) this.#newLeader = lead;
    this.#check();
  }

  onTick(): void {
    this.#ticks++;
    this.#check();
    if (!this.#finished && this.#newLeader === 0 && this.abandoned()) this.#finish('abandoned');
    if (!this.#finished && this.#ticks >= this.maxTicks) this.#finish('timed-out');
  }

  #check(): void {
    if (this.#newLeader !== 0 && this.settled()) this.#finish('transferred');
  }

  #finish(outcome: HandoffOutcome): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#resolve(outcome);
  }
}
