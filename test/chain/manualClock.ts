// A ChainClock that moves only when the test says so: ticks and batch
// timeouts fire in due order inside advance(), never on the wall clock.

import type { ChainClock, TimerHandle } from '../../src/chain/index.js';

interface Timer {
  due: number;
  readonly intervalMs: number | undefined;
  readonly fn: () => void;
  cancelled: boolean;
  readonly seq: number;
}

export class ManualClock implements ChainClock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  every(intervalMs: number, fn: () => void): TimerHandle {
    return this.#add(intervalMs, intervalMs, fn);
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    return this.#add(delayMs, undefined, fn);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const live = this.#timers.filter((t) => !t.cancelled);
      this.#timers = live;
      const next = live.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.#now = next.due;
      if (next.intervalMs === undefined) next.cancelled = true;
      else next.due += next.intervalMs;
      next.fn();
    }
    this.#now = end;
  }

  #add(delayMs: number, intervalMs: number | undefined, fn: () => void): TimerHandle {
    const timer: Timer = { due: this.#now + delayMs, intervalMs, fn, cancelled: false, seq: this.#seq++ };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
}
