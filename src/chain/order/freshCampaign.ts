// A fresh channel's first campaigner (firstCampaigner.ts picks it) campaigns
// until a leader is known. Fabric campaigns again every tick; we do so every
// electionTick ticks, so a slow disk does not turn each tick into a new term.

import assert from 'node:assert/strict';

export class FreshCampaign {
  /** Campaigning until a leader is known; false once one is (or when this node is not the first campaigner). */
  #active: boolean;
  /** Invariant: 0 <= ticksSinceCampaign < electionTick while active. */
  #ticksSinceCampaign = 0;

  constructor(
    active: boolean,
    private readonly electionTick: number,
    private readonly campaign: () => void,
  ) {
    assert.ok(Number.isInteger(electionTick) && electionTick > 0, 'electionTick must be a positive integer');
    this.#active = active;
  }

  get active(): boolean {
    return this.#active;
  }

  /** The chain started: the first campaign. */
  start(): void {
    if (this.#active) this.#campaignNow();
  }

  /** After a Raft tick: stop once a leader is known, else campaign again every electionTick ticks. */
  onTick(leaderId: number): void {
    if (!this.#active) return;
    if (leaderId !== 0) this.#active = false;
    else if (++this.#ticksSinceCampaign >= this.electionTick) this.#campaignNow();
  }

  #campaignNow(): void {
    this.#ticksSinceCampaign = 0;
    this.campaign();
  }
}
