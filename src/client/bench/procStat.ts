// CPU time and resident memory of a process (or one of its threads) from
// /proc: utime + stime (fields 14, 15, in clock ticks) and rss (field 24, in
// pages). Linux only; elsewhere every reading is undefined.

import fs from 'node:fs';

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const TICKS_PER_S = 100;
const PAGE_BYTES = 4096;

export interface ProcReading {
  /** CPU time used so far, microseconds (10 ms resolution). */
  readonly cpuUs: number;
  readonly rssBytes: number;
}

export function readProc(pid: number, tid?: number): ProcReading | undefined {
  const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields count from after its ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { cpuUs: ((utime + stime) * 1_000_000) / TICKS_PER_S, rssBytes: rssPages * PAGE_BYTES };
}

/**
 * A process's anonymous resident memory (heap, buffers, stacks): resident less
 * shared pages, from /proc/<pid>/statm. Memory-mapped files (a ledger read
 * through its map) count as resident but not here, so a leak shows in this
 * figure while a growing ledger's page cache does not.
 */
export function readAnonBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/statm`, 'utf8');
  } catch {
    return undefined;
  }
  const [, resident, shared] = text.split(' ').map(Number);
  if (!Number.isFinite(resident) || !Number.isFinite(shared)) return undefined;
  return (resident! - shared!) * PAGE_BYTES;
}

export interface HarnessThreadsCpu {
  /** µs of CPU so far: the main thread (HTTP/2, TLS, sending, counting, following blocks). */
  readonly mainUs: number;
  /** The signing processes (every thread of theirs). */
  readonly signingUs: number;
  /** V8's platform threads, shared by every isolate of the process: concurrent and parallel GC, background compilation. */
  readonly platformUs: number;
  /** The whole harness process (process.cpuUsage: every thread, ended ones included), signing processes not included. */
  readonly processUs: number;
}

/** How many V8 platform worker threads Node starts: --v8-pool-size, 4 by default. */
function v8PoolSize(): number {
  const flag = process.execArgv.find((a) => a.startsWith('--v8-pool-size='));
  const size = flag === undefined ? 4 : Number(flag.slice('--v8-pool-size='.length));
  return Number.isInteger(size) && size > 0 ? size : 4;
}

/**
 * The V8 platform threads' ids: Node starts them first (its delayed-task
 * scheduler, then the pool's workers), before anything else can start a
 * thread (libuv's pool, the module loader, workers), so they are the first
 * threads after the main one by start time (field 22). Node 20 names no
 * thread, so start order is what tells them apart. Taken once, when this
 * module loads.
 */
function platformThreadIds(): number[] {
  let tids: number[];
  try {
    tids = fs.readdirSync(`/proc/${process.pid}/task`).map(Number);
  } catch {
    return [];
  }
  const started: { tid: number; at: number }[] = [];
  for (const tid of tids) {
    if (tid === process.pid) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    started.push({ tid, at: Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]) });
  }
  started.sort((a, b) => a.at - b.at || a.tid - b.tid);
  return started.slice(0, v8PoolSize() + 1).map((t) => t.tid);
}

const PLATFORM_TIDS = platformThreadIds();

/** This process's CPU so far by thread role, and its signing processes' (`signingPids`); main and platform are 0 where /proc is absent. */
export function readHarnessThreads(signingPids: readonly number[] = []): HarnessThreadsCpu {
  const usage = process.cpuUsage();
  const signingUs = signingPids.reduce((sum, pid) => sum + (readProc(pid)?.cpuUs ?? 0), 0);
  const platformUs = PLATFORM_TIDS.reduce((sum, tid) => sum + (readProc(process.pid, tid)?.cpuUs ?? 0), 0);
  return { mainUs: readMainThread()?.cpuUs ?? 0, signingUs, platformUs, processUs: usage.user + usage.system };
}

/** The harness's own main thread (where HTTP/2, sending and counting run). */
export function readMainThread(): ProcReading | undefined {
  return readProc(process.pid, process.pid);
}
