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

/** The harness's own main thread (where gRPC, sending and counting run). */
export function readMainThread(): ProcReading | undefined {
  return readProc(process.pid, process.pid);
}
