// Transport-loss events in the simulator, acted on by the chain's own
// leader-loss policy (src/chain/liveness/leaderLoss.ts): a node's process dying closes
// its streams at every running peer, a cut link is noticed by the sender as a
// broken stream, and a follower's own stream to a healthy leader may flap.
// Each running node has a LeaderLossWatch on a simulated clock (a tick is
// TICK_MS, split evenly over the tick's delivery rounds); its redials (probes)
// are answered in the next round from the real state: refused when the peer is
// down, the link is cut or the flap refuses redials.

import { pino } from 'pino';
import { LeaderLossWatch, type LeaderLossCause } from '../../../src/chain/liveness/leaderLoss.js';
import type { ChainClock, TimerHandle } from '../../../src/clock.js';
import type { Message, RawNode } from '../../../src/raft/index.js';

/** The chain's tick in the benchmarks and the e2e tests. */
export const TICK_MS = 100;

/** What the watches need of the cluster. */
export interface TransportLossTarget {
  readonly ids: readonly number[];
  isRunning(id: number): boolean;
  raw(id: number): RawNode;
  lead(id: number): number;
  isLinkUp(from: number, to: number): boolean;
  /** Index and term of the last entry on node `id`'s disk. */
  lastLog(id: number): { index: number; term: number };
  record(event: string): void;
}

const silent = pino({ level: 'silent' });

/** A clock that moves only when the simulation says so. */
class SimClock implements ChainClock {
  #now = 0;
  #timers: Array<{ due: number; fn: () => void; cancelled: boolean }> = [];

  now(): number {
    return this.#now;
  }

  every(): TimerHandle {
    throw new Error('the simulator clock has no periodic timers');
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    const timer = { due: this.#now + delayMs, fn, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const next = this.#timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.#now = next.due;
      next.cancelled = true;
      next.fn();
    }
    this.#now = end;
  }
}

export class TransportLoss {
  readonly #target: TransportLossTarget;
  readonly #clock = new SimClock();
  readonly #msPerRound: number;
  readonly #graceMs: number;
  readonly #random: () => number;
  readonly #watches = new Map<number, LeaderLossWatch>();
  #probes: Array<{ readonly from: number; readonly to: number }> = [];
  /** "a>b": a's redials to b are refused although a and b are both up (a flap that does not heal at once). */
  readonly #refused = new Set<string>();
  readonly counts = { streamsClosed: 0, flaps: 0, earlyCampaigns: 0 };

  constructor(target: TransportLossTarget, roundsPerTick: number, graceMs: number, random: () => number) {
    this.#target = target;
    this.#msPerRound = TICK_MS / roundsPerTick;
    this.#graceMs = graceMs;
    this.#random = random;
    for (const id of target.ids) if (target.isRunning(id)) this.started(id);
  }

  /** A node (re)started: a fresh watch, as a restarted process has. */
  started(id: number): void {
    const target = this.#target;
    const watch = new LeaderLossWatch(
      {
        selfId: id,
        log: silent,
        clock: this.#clock,
        random: this.#random,
        raft: () => target.raw(id),
        kick: () => undefined,
        isReachable: (peer) => this.#dialable(id, peer),
        probe: (peer) => this.#probes.push({ from: id, to: peer }),
        lastLog: () => target.lastLog(id),
        countEarlyCampaign: (cause: LeaderLossCause) => {
          this.counts.earlyCampaigns++;
          target.record(`n${id} campaigns early (${cause})`);
        },
      },
      // A campaign's PreVote leaves in the next round and takes up to 2 rounds on a healthy link here
      // (25 ms each: a slow WAN, not a LAN): the slot spans that, 4 rounds.
      { enabled: true, graceMs: this.#graceMs, slotMs: 4 * this.#msPerRound },
    );
    this.#watches.set(id, watch);
  }

  /** Node `id`'s process died: its watch goes, and every running peer sees its streams close. */
  died(id: number): void {
    this.#watches.get(id)?.close();
    this.#watches.delete(id);
    for (const other of this.#target.ids) {
      if (other === id || !this.#target.isRunning(other)) continue;
      this.counts.streamsClosed++;
      this.#watches.get(other)?.onPeerLost(id);
    }
  }

  /** Node `at` noticed its stream to `peer` broken (a message to it could not be sent). */
  streamBroke(at: number, peer: number): void {
    this.#watches.get(at)?.onPeerLost(peer);
  }

  /** Node `at`'s own stream to `peer` flaps; with `refuseRedials` it stays down until healed. */
  flap(at: number, peer: number, refuseRedials: boolean): void {
    this.counts.flaps++;
    if (refuseRedials) this.#refused.add(`${at}>${peer}`);
    this.#target.record(`n${at}'s stream to n${peer} flaps${refuseRedials ? ' (redials refused)' : ''}`);
    this.#watches.get(at)?.onPeerLost(peer);
  }

  heal(): void {
    this.#refused.clear();
  }

  /** Every message delivered to `to`. */
  observe(to: number, m: Message): void {
    this.#watches.get(to)?.observe(m);
  }

  /** End of a delivery round: leader views, answers to the redials, then time moves one round. */
  onRound(): void {
    for (const id of [...this.#watches.keys()]) {
      if (!this.#target.isRunning(id)) this.died(id);
      else this.#watches.get(id)!.onLeader(this.#target.lead(id));
    }
    const probes = this.#probes;
    this.#probes = [];
    for (const p of probes) {
      if (this.#target.isRunning(p.from) && !this.#dialable(p.from, p.to)) this.#watches.get(p.from)?.onPeerLost(p.to);
    }
    this.#clock.advance(this.#msPerRound);
  }

  #dialable(from: number, to: number): boolean {
    return this.#target.isRunning(to) && this.#target.isLinkUp(from, to) && !this.#refused.has(`${from}>${to}`);
  }
}
