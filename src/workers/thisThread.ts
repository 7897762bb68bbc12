// The calling thread as the operating system sees it (Linux): its name (the
// thread's `comm`, as `top -H`, `ps -L` and /proc/<pid>/task/<tid>/comm show
// it), so per-thread CPU can be told apart — the pool's workers from the main
// thread, V8's platform and GC helpers and libuv's threads; bench:cluster
// reads it — and its scheduling priority, so that pool workers sharing cores
// with the main thread (which keeps Raft's clock) yield to it.

import fs from 'node:fs';
import os from 'node:os';

/** The name every pool worker thread carries (at most 15 bytes: Linux truncates longer names). */
export const POOL_THREAD_NAME = 'orderer-pool';

/** True for the error of a /proc file that is absent or not writable here (no procfs: macOS, Windows). */
function isProcfsUnavailable(error: unknown): boolean {
  return error instanceof Error && 'code' in error;
}

/**
 * Sets the calling thread's name where the system lets a thread name itself
 * through /proc/thread-self; elsewhere the thread keeps its name (naming is a
 * diagnostic aid). Returns whether the name was set.
 */
export function nameThisThread(name: string): boolean {
  try {
    fs.writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
    return true;
  } catch (error) {
    if (isProcfsUnavailable(error)) return false;
    throw error;
  }
}

/**
 * Raises the calling thread's nice value by `increment` (1..19: lower
 * priority), on Linux, where a thread id is a valid target of setpriority.
 * Elsewhere nothing changes (niceness of one thread is not portable). Returns
 * whether the priority was lowered.
 */
export function lowerThisThreadPriority(increment: number): boolean {
  if (!(Number.isSafeInteger(increment) && increment >= 1 && increment <= 19)) {
    throw new RangeError(`nice increment must be an integer in 1..19, got ${increment}`);
  }
  let tid: number;
  try {
    tid = Number(fs.readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch (error) {
    if (isProcfsUnavailable(error)) return false;
    throw error;
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) return false;
  os.setPriority(tid, Math.min(19, os.getPriority(tid) + increment));
  return true;
}
