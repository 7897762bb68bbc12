// What goes wrong, and how often. Each seed draws a fault profile (so some
// seeds are calm and some are storms), then the injector rolls the dice once
// per tick. Everything draws from the simulation's one PRNG.

import type { LinkFaults } from './network.js';
import type { Prng } from './prng.js';

export interface FaultProfile {
  /** Link behaviour while faults are active. */
  readonly links: LinkFaults;
  /** Per tick: chance to cut a new partition (isolate a node, split the cluster, or cut one direction of a link). */
  readonly partitionChance: number;
  /** Per tick: chance to heal every cut link. */
  readonly healChance: number;
  /** Per tick: chance to crash one running node. */
  readonly crashChance: number;
  /** Per tick and down node: chance it restarts. */
  readonly restartChance: number;
  /** Per Ready: chance the node crashes after persisting it, before sending or applying. */
  readonly crashAfterPersistChance: number;
  /** Per tick: chance the leader is asked to transfer leadership to a random voter. */
  readonly transferChance: number;
  /** Per node and tick: chance the node misses the tick (a slow clock or a stalled process). */
  readonly skipTickChance: number;
  /** Per tick: chance a follower's own stream to its leader flaps (the leader stays healthy); half of them refuse redials until healed. */
  readonly flapChance: number;
}

export const noFaults: FaultProfile = Object.freeze({
  links: { dropRate: 0, duplicateRate: 0, delayRoundsMax: 2 },
  partitionChance: 0,
  healChance: 0,
  crashChance: 0,
  restartChance: 0,
  crashAfterPersistChance: 0,
  transferChance: 0,
  skipTickChance: 0,
  flapChance: 0,
});

export function randomFaultProfile(prng: Prng): FaultProfile {
  const intensity = prng.next(); // 0: calm, 1: storm
  return {
    links: {
      dropRate: prng.next() * 0.3 * intensity,
      duplicateRate: prng.next() * 0.1 * intensity,
      delayRoundsMax: prng.between(1, 2 + Math.round(10 * intensity)),
    },
    partitionChance: 0.02 * intensity,
    healChance: 0.05,
    crashChance: 0.01 * intensity,
    restartChance: 0.1,
    crashAfterPersistChance: 0.002 * intensity,
    transferChance: 0.01 * prng.next(),
    skipTickChance: 0.1 * prng.next(),
    flapChance: 0.03 * intensity,
  };
}

/** What the injector can do to a cluster. */
export interface FaultTarget {
  readonly ids: readonly number[];
  isRunning(id: number): boolean;
  crash(id: number): void;
  restart(id: number): void;
  leaderIds(): number[];
  transferLeadership(from: number, to: number): void;
  partition(groups: readonly (readonly number[])[]): void;
  cutLink(from: number, to: number): void;
  healLinks(): void;
  /** Follower `at`'s stream to its leader flaps; a no-op without transport-loss events. */
  flapToLeader(at: number, refuseRedials: boolean): void;
  record(event: string): void;
}

export class FaultInjector {
  readonly #prng: Prng;
  readonly #profile: FaultProfile;

  constructor(prng: Prng, profile: FaultProfile) {
    this.#prng = prng;
    this.#profile = profile;
  }

  get profile(): FaultProfile {
    return this.#profile;
  }

  /** Rolls for each kind of fault once; called at the start of every tick while faults are on. */
  onTick(target: FaultTarget): void {
    const p = this.#prng;
    const f = this.#profile;
    if (p.chance(f.healChance)) target.healLinks();
    if (p.chance(f.partitionChance)) this.#cut(target);
    if (p.chance(f.crashChance)) {
      const running = target.ids.filter((id) => target.isRunning(id));
      if (running.length > 0) target.crash(p.pick(running));
    }
    for (const id of target.ids) {
      if (!target.isRunning(id) && p.chance(f.restartChance)) target.restart(id);
    }
    if (p.chance(f.flapChance)) {
      const running = target.ids.filter((id) => target.isRunning(id));
      if (running.length > 0) target.flapToLeader(p.pick(running), p.chance(0.5));
    }
    if (p.chance(f.transferChance)) {
      const leaders = target.leaderIds();
      if (leaders.length > 0) target.transferLeadership(p.pick(leaders), p.pick(target.ids));
    }
  }

  #cut(target: FaultTarget): void {
    const p = this.#prng;
    const ids = target.ids;
    switch (p.int(3)) {
      case 0: {
        const lonely = p.pick(ids);
        target.partition([[lonely], ids.filter((id) => id !== lonely)]);
        break;
      }
      case 1: {
        const shuffled = p.shuffled(ids);
        const cut = p.between(1, ids.length - 1);
        target.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        break;
      }
      default: {
        const from = p.pick(ids);
        const to = p.pick(ids.filter((id) => id !== from));
        target.cutLink(from, to);
      }
    }
  }
}
