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

/** The name of the harness's envelope signing threads (signWorker.ts), as /proc/<pid>/task/<tid>/comm shows it. */
export const SIGNING_THREAD_NAME = 'bench-signer';

export interface HarnessThreadsCpu {
  /** µs of CPU so far: the main thread (HTTP/2, TLS, sending, counting, following blocks). */
  readonly mainUs: number;
  /** The signing workers (named SIGNING_THREAD_NAME). */
  readonly signingUs: number;
  /** The whole process (process.cpuUsage: every thread, ended ones included). */
  readonly processUs: number;
}

/** This process's CPU so far by role; main and signing are 0 where /proc is absent (the process total is then all there is). */
export function readHarnessThreads(): HarnessThreadsCpu {
  const usage = process.cpuUsage();
  let signingUs = 0;
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${process.pid}/task`);
  } catch {
    // No procfs.
  }
  for (const tid of tids) {
    if (Number(tid) === process.pid) continue;
    let comm: string;
    try {
      comm = fs.readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // A thread that ended since the listing.
    }
    if (comm === SIGNING_THREAD_NAME) signingUs += readProc(process.pid, Number(tid))?.cpuUs ?? 0;
  }
  return { mainUs: readMainThread()?.cpuUs ?? 0, signingUs, processUs: usage.user + usage.system };
}

/** The harness's own main thread (where HTTP/2, sending and counting run). */
export function readMainThread(): ProcReading | undefined {
  return readProc(process.pid, process.pid);
}
