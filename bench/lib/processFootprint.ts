// What the kernel must tear down when a process is killed: its resident memory
// and its threads (Linux's /proc/<pid>/status). On a kill -9 the kernel frees
// the address space before it closes the process's files, so its sockets — what
// a peer sees — close later the more resident memory there is to free, and
// each thread must be scheduled once to exit.

import fs from 'node:fs';

export interface ProcessFootprint {
  /** VmRSS, MB. */
  readonly rssMb: number;
  /** RssAnon (the part freed page by page, not file-backed), MB. */
  readonly anonMb: number;
  readonly threads: number;
}

/** The footprint of `pid`, or undefined where /proc has no status for it (not Linux, or gone). */
export function processFootprint(pid: number): ProcessFootprint | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  const rssKb = field('VmRSS');
  const anonKb = field('RssAnon');
  const threads = field('Threads');
  if (![rssKb, anonKb, threads].every(Number.isFinite)) return undefined;
  return { rssMb: rssKb / 1024, anonMb: anonKb / 1024, threads };
}

export function describeFootprint(f: ProcessFootprint | undefined): string {
  return f === undefined ? 'footprint unknown' : `${f.rssMb.toFixed(0)} MB resident (${f.anonMb.toFixed(0)} MB anonymous), ${f.threads} threads`;
}
