// What both in-process chain clusters (harness.ts, configCluster.ts) share:
// time moves only on tick(), and every tick lets the nodes settle (their
// async persists, pool answers and messages) before the next.

import { ManualClock } from './manualClock.js';

/** Tick interval of every chain in the in-process clusters. */
export const TICK_MS = 100;

export abstract class TickedCluster {
  readonly clock = new ManualClock();

  /** Lets in-flight work (persists, pool tasks, deliveries) complete without moving time. */
  abstract settle(rounds?: number): Promise<void>;

  async tick(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.clock.advance(TICK_MS);
      await this.settle();
    }
  }

  /** Ticks until `condition` holds; fails after `maxTicks`. Returns the ticks it took. */
  async tickUntil(condition: () => boolean, maxTicks: number, what: string): Promise<number> {
    await this.settle();
    for (let ticks = 0; ticks <= maxTicks; ticks++) {
      if (condition()) return ticks;
      await this.tick();
    }
    throw new Error(`not reached within ${maxTicks} ticks: ${what}`);
  }
}
