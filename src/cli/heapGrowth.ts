// How far V8 lets an orderer's old generation grow past what the last full
// GC left live, before it marks the heap again.
//
// An orderer's heap is small (~18 MB live on a follower) but it holds
// block-sized buffers for seconds: every received Raft append (~500 KB) stays
// in the in-memory Raft log until the next snapshot compacts it, so its
// ArrayBuffer is promoted and only a full (mark-compact) GC frees it. V8
// counts those buffers as external memory against the old generation's
// limit, and with V8's default growth for a small heap (a limit ~1.6 x the
// live size, ~12 MB of room) a follower at ~4 MB/s of blocks marked its
// whole heap about once a second: ~35% of its CPU in a profile, more than
// TLS, HTTP/2 and the apply path together (src/cluster/PROTOCOL.md, "Receive
// path cost"). With the limit at 4 x the live size a full GC comes every
// ~15 s under the same load, for ~25 MB more array buffers and ~10 MB more
// JS heap at the peak (PROTOCOL.md has the figures).
//
// V8 reads the factor each time it sets the limit, so setting it at start-up
// (before any load) is as good as the command-line flag. An operator's own
// --heap-growing-percent on the node command line wins.

import v8 from 'node:v8';

/** Old-generation limit after a full GC: live size x (1 + this / 100). */
export const ORDERER_HEAP_GROWING_PERCENT = 300;

const FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/** The V8 flag an orderer process sets, or undefined when the node's command line already gives one. */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((arg) => FLAG.test(arg))) return undefined;
  return `--heap-growing-percent=${ORDERER_HEAP_GROWING_PERCENT}`;
}

/** Sets heapGrowthFlag(process.execArgv) process-wide (every thread's heap); returns what it set. */
export function tuneHeapGrowth(): string | undefined {
  const flag = heapGrowthFlag(process.execArgv);
  if (flag !== undefined) v8.setFlagsFromString(flag);
  return flag;
}
