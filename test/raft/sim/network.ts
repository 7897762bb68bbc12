// The simulated network between Raft nodes: per-message loss, duplication and
// delay (random delays are what reorder messages), directional link cuts for
// partitions, and a bound on messages in flight.
//
// Time is counted in delivery rounds (the cluster runs several rounds per
// Raft tick), so a message can arrive faster than a heartbeat interval.

import assert from 'node:assert/strict';
import type { Message } from '../../../src/raft/types.js';
import type { Prng } from './prng.js';

export interface LinkFaults {
  /** Probability in [0, 1] that one copy of a message is lost in transit. */
  readonly dropRate: number;
  /** Probability in [0, 1] that a message is delivered twice (each copy delayed independently). */
  readonly duplicateRate: number;
  /** Each copy is delayed uniformly in [1, delayRoundsMax] rounds; >= 1. */
  readonly delayRoundsMax: number;
}

/** What the network looks like once every fault has healed. */
export const healthyLinks: LinkFaults = Object.freeze({ dropRate: 0, duplicateRate: 0, delayRoundsMax: 2 });

/** Why a message did not arrive: lost in transit, cut link, full transport queue, or the receiver is down. */
export type LossReason = 'dropped' | 'link-cut' | 'queue-full' | 'node-down';

export interface LostMessage {
  readonly message: Message;
  readonly reason: LossReason;
}

interface InFlight {
  /** Invariant: > the round in which the message was sent. */
  readonly deliverAtRound: number;
  /** Send order; breaks ties between messages due in the same round. */
  readonly seq: number;
  readonly message: Message;
}

export class Network {
  readonly #prng: Prng;
  readonly #inFlightMax: number;
  #faults: LinkFaults = healthyLinks;
  /** Cut directional links, as `${from}>${to}`. */
  readonly #cutLinks = new Set<string>();
  /** Invariant: length <= #inFlightMax. */
  #inFlight: InFlight[] = [];
  #seq = 0;

  constructor(prng: Prng, inFlightMax: number) {
    assert.ok(Number.isSafeInteger(inFlightMax) && inFlightMax > 0, `inFlightMax must be a positive integer, got ${inFlightMax}`);
    this.#prng = prng;
    this.#inFlightMax = inFlightMax;
  }

  get faults(): LinkFaults {
    return this.#faults;
  }

  setFaults(faults: LinkFaults): void {
    assert.ok(faults.dropRate >= 0 && faults.dropRate <= 1, `dropRate must be in [0, 1], got ${faults.dropRate}`);
    assert.ok(faults.duplicateRate >= 0 && faults.duplicateRate <= 1, `duplicateRate must be in [0, 1], got ${faults.duplicateRate}`);
    assert.ok(
      Number.isSafeInteger(faults.delayRoundsMax) && faults.delayRoundsMax >= 1,
      `delayRoundsMax must be an integer >= 1, got ${faults.delayRoundsMax}`,
    );
    this.#faults = faults;
  }

  get inFlightCount(): number {
    return this.#inFlight.length;
  }

  isLinkUp(from: number, to: number): boolean {
    return !this.#cutLinks.has(`${from}>${to}`);
  }

  cutLink(from: number, to: number): void {
    this.#cutLinks.add(`${from}>${to}`);
  }

  /** Splits the nodes into groups that cannot reach each other (both directions). */
  partition(groups: readonly (readonly number[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const from of a) for (const to of b) this.cutLink(from, to);
      }
    }
  }

  /** Restores every link. Messages already lost stay lost. */
  heal(): void {
    this.#cutLinks.clear();
  }

  get cutLinkCount(): number {
    return this.#cutLinks.size;
  }

  /**
   * Puts a message on the wire in round `nowRound`. Returns the copies lost at
   * once (a cut link, a drop, a full queue); the others arrive through `takeDue`.
   */
  send(message: Message, nowRound: number): LostMessage[] {
    if (!this.isLinkUp(message.from, message.to)) return [{ message, reason: 'link-cut' }];
    const copies = this.#prng.chance(this.#faults.duplicateRate) ? 2 : 1;
    const lost: LostMessage[] = [];
    for (let i = 0; i < copies; i++) {
      if (this.#prng.chance(this.#faults.dropRate)) {
        lost.push({ message, reason: 'dropped' });
      } else if (this.#inFlight.length >= this.#inFlightMax) {
        lost.push({ message, reason: 'queue-full' });
      } else {
        const deliverAtRound = nowRound + this.#prng.between(1, this.#faults.delayRoundsMax);
        this.#inFlight.push({ deliverAtRound, seq: this.#seq++, message });
      }
    }
    return lost;
  }

  /**
   * Removes and returns the messages due by `nowRound`, in arrival order
   * (delivery round, then send order). A message whose link was cut while it
   * was in flight is returned as lost.
   */
  takeDue(nowRound: number): { delivered: Message[]; lost: LostMessage[] } {
    const due: InFlight[] = [];
    const pending: InFlight[] = [];
    for (const f of this.#inFlight) (f.deliverAtRound <= nowRound ? due : pending).push(f);
    this.#inFlight = pending;
    due.sort((a, b) => a.deliverAtRound - b.deliverAtRound || a.seq - b.seq);
    const delivered: Message[] = [];
    const lost: LostMessage[] = [];
    for (const f of due) {
      if (this.isLinkUp(f.message.from, f.message.to)) delivered.push(f.message);
      else lost.push({ message: f.message, reason: 'link-cut' });
    }
    return { delivered, lost };
  }
}
