// The full-disk fault: every node's data directory is a filesystem of its
// own (tmpfs, mounted when the cluster is made: mounting needs root), so one
// node's disk can be filled without touching the others'. Filling shrinks
// that filesystem to what it already holds (remount, size = used): the
// node's next write that needs a new page fails with ENOSPC from the kernel,
// its storage stops and its channels halt, saying so in its log. Making room
// grows the filesystem back; the node is restarted and recovers from what was
// durable. A channel the node led when its storage failed counts as a leader
// crash at that moment (accepted-mode envelopes in its cutter may be lost).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { CrashEvent } from './faults.js';

/** Each node's filesystem: a limit, not a reservation (tmpfs takes memory as it is used). */
const DISK_SIZE = '4g';

function mountCommand(args: readonly string[]): void {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Mounts a filesystem on each of `dataDirs` (created empty); throws naming the flag to drop when mounting is not allowed here. */
export function mountDisks(dataDirs: readonly string[]): void {
  for (const dir of dataDirs) {
    fs.mkdirSync(dir, { recursive: true });
    try {
      mountCommand(['-t', 'tmpfs', '-o', `size=${DISK_SIZE},mode=0700`, 'tmpfs', dir]);
    } catch (err) {
      unmountDisks(dataDirs);
      const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
      throw new Error(
        `the disk fault mounts a filesystem (tmpfs) on each node's data directory, which needs root; mount failed: ${why}. Leave "disk" out of --faults`,
      );
    }
  }
}

/**
 * Unmounts what mountDisks mounted (lazily: a node still holding files does not keep it busy).
 * `keep`: the contents stay in the directories, for a kept cluster.
 */
export function unmountDisks(dataDirs: readonly string[], keep = false): void {
  for (const dir of dataDirs) {
    const saved = `${dir}.saved`;
    if (keep && fs.existsSync(dir)) fs.cpSync(dir, saved, { recursive: true });
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch (err) {
      if (!(err instanceof Error)) throw err; // not mounted
    }
    if (keep && fs.existsSync(saved)) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(saved, dir);
    }
  }
}

/** Shrinks `dataDir`'s filesystem to what it holds: from now on a write needing space fails with ENOSPC. */
export function fillDisk(dataDir: string): void {
  let last: unknown;
  // The node writes meanwhile: a size below what it holds by then is refused, so try again.
  for (let attempt = 0; attempt < 20; attempt++) {
    const stats = fs.statfsSync(dataDir);
    const used = (stats.blocks - stats.bfree) * stats.bsize;
    try {
      mountCommand(['-o', `remount,size=${Math.max(used, stats.bsize)}`, dataDir]);
      return;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`could not fill the disk of ${dataDir}: ${(last as Error).message}`);
}

/** Grows `dataDir`'s filesystem back to its full size. */
export function makeRoom(dataDir: string): void {
  mountCommand(['-o', `remount,size=${DISK_SIZE}`, dataDir]);
}

/** Free bytes on `dataDir`'s filesystem. */
export function freeBytes(dataDir: string): number {
  const stats = fs.statfsSync(dataDir);
  return stats.bavail * stats.bsize;
}

export interface Halt {
  readonly channel: string;
  /** Wall clock (Date.now()) of the log line. */
  readonly timeMs: number;
  readonly message: string;
}

/** Channels the node's log says halted at or after `sinceMs` (wall clock), first line per channel. */
export function haltsInLog(logFile: string, sinceMs: number): Halt[] {
  const halts = new Map<string, Halt>();
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(' halted: ')) continue;
    let record: { time?: number; channel?: string; msg?: string };
    try {
      record = JSON.parse(line) as typeof record;
    } catch (err) {
      if (err instanceof SyntaxError) continue; // a line cut by the kill
      throw err;
    }
    const { time, channel, msg } = record;
    if (time === undefined || channel === undefined || msg === undefined || time < sinceMs || halts.has(channel)) continue;
    halts.set(channel, { channel, timeMs: time, message: msg });
  }
  return [...halts.values()];
}

/**
 * The leader crash a full disk amounts to: the channels `node` led (`ledChannels`) that halted
 * lost what their leader had accepted from the fill (`filledAtMs`, run clock) on: its writes
 * could fail from then, and a stuck write holds back what it accepted until the halt. The crash
 * spans the fill to the last of those halts (`wallToRunMs`: wall clock minus run clock): the
 * storage stops for every channel at once, and each channel halts as its next write fails, tens
 * of milliseconds apart, a channel taking envelopes until its own halt. A node
 * whose process was found exited (`exitedBy`, run clock: it died of the full disk instead of
 * halting) lost every channel it led, by then. Undefined when it lost none it led.
 */
export function diskCrash(
  node: number,
  ledChannels: readonly string[],
  halts: readonly Halt[],
  filledAtMs: number,
  wallToRunMs: number,
  exitedBy?: number,
): CrashEvent | undefined {
  if (exitedBy !== undefined && ledChannels.length > 0) return { sinceMs: filledAtMs, atMs: Math.max(filledAtMs, exitedBy), node, ledChannels };
  const led = halts.filter((h) => ledChannels.includes(h.channel));
  if (led.length === 0) return undefined;
  const atMs = Math.max(filledAtMs, Math.max(...led.map((h) => h.timeMs)) - wallToRunMs);
  return { sinceMs: filledAtMs, atMs, node, ledChannels: led.map((h) => h.channel) };
}
