// Names the calling thread for the operating system (Linux: the thread's
// `comm`, as `top -H`, `ps -L` and /proc/<pid>/task/<tid>/comm show it), so
// per-thread CPU can be told apart: the pool's workers from the main thread,
// V8's platform and GC helpers, and libuv's threads. bench:cluster reads it.

import fs from 'node:fs';

/** The name every pool worker thread carries (at most 15 bytes: Linux truncates longer names). */
export const POOL_THREAD_NAME = 'orderer-pool';

/**
 * Sets the calling thread's name where the system lets a thread name itself
 * through /proc/thread-self; elsewhere (no procfs) the thread keeps its name.
 * Returns whether the name was set.
 */
export function nameThisThread(name: string): boolean {
  try {
    fs.writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
    return true;
  } catch (error) {
    // No procfs (macOS, Windows) or a read-only one: naming is only a diagnostic aid.
    if (error instanceof Error && 'code' in error) return false;
    throw error;
  }
}
