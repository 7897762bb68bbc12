// CPU time per thread of a process, from Linux's /proc/<pid>/task/<tid>/stat
// (utime + stime, in clock ticks), grouped by role: the main thread (its tid is
// the pid), the worker pool (threads named POOL_THREAD_NAME), and the rest
// (V8's platform threads — concurrent marking, GC helpers, compilers — and
// libuv's thread pool).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { POOL_THREAD_NAME } from '../../src/workers/index.js';

export interface ThreadGroupsCpu {
  /** µs of CPU, from clock ticks (10 ms each on most kernels: read over seconds, not milliseconds). */
  readonly mainUs: number;
  readonly poolUs: number;
  readonly otherUs: number;
}

const TICK_US = 1_000_000 / clockTicksPerSecond();

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch (error) {
    if (error instanceof Error) return 100; // Linux's USER_HZ almost everywhere
    throw error;
  }
}

/** utime + stime of one thread in ticks; fields counted after the `(comm)` field, which may hold spaces. */
function threadTicks(statText: string): number {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    // A thread (or the process) that ended between listing and reading.
    if (error instanceof Error && 'code' in error) return undefined;
    throw error;
  }
}

/** The process's threads' CPU so far, by role; zeros for a process that is gone. */
export function threadGroupsCpu(pid: number): ThreadGroupsCpu {
  let main = 0;
  let pool = 0;
  let other = 0;
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch (error) {
    if (error instanceof Error && 'code' in error) return { mainUs: 0, poolUs: 0, otherUs: 0 };
    throw error;
  }
  for (const tid of tids) {
    const stat = readOrUndefined(`/proc/${pid}/task/${tid}/stat`);
    if (stat === undefined) continue;
    const ticks = threadTicks(stat);
    if (Number(tid) === pid) main += ticks;
    else if (readOrUndefined(`/proc/${pid}/task/${tid}/comm`)?.trim() === POOL_THREAD_NAME) pool += ticks;
    else other += ticks;
  }
  return { mainUs: main * TICK_US, poolUs: pool * TICK_US, otherUs: other * TICK_US };
}

export function cpuSince(before: ThreadGroupsCpu, after: ThreadGroupsCpu): ThreadGroupsCpu {
  return { mainUs: after.mainUs - before.mainUs, poolUs: after.poolUs - before.poolUs, otherUs: after.otherUs - before.otherUs };
}

export function totalUs(cpu: ThreadGroupsCpu): number {
  return cpu.mainUs + cpu.poolUs + cpu.otherUs;
}
