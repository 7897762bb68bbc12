// Time as the chain sees it. The chain never calls setTimeout/setInterval
// directly, so tests drive ticks and batch timeouts by hand (test/chain's
// ManualClock) and never wait on the wall clock.

export interface TimerHandle {
  cancel(): void;
}

export interface ChainClock {
  /** Milliseconds on a monotonic clock (durations only). */
  now(): number;
  /** Calls `fn` every `intervalMs` until cancelled. */
  every(intervalMs: number, fn: () => void): TimerHandle;
  /** Calls `fn` once after `delayMs` unless cancelled first. */
  after(delayMs: number, fn: () => void): TimerHandle;
}

/** The process clock: performance.now and unref'd Node timers (a chain never keeps the process alive). */
export const systemClock: ChainClock = {
  now: () => performance.now(),
  every(intervalMs, fn) {
    const t = setInterval(fn, intervalMs);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
  after(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
