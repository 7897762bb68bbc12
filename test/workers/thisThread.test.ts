// Pool workers name themselves (so /proc tells them apart) and, asked to,
// lower their own priority below the main thread's.

import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { POOL_THREAD_NAME, WorkerPool } from '../../src/workers/index.js';
import { lowerThisThreadPriority } from '../../src/workers/thisThread.js';

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** nice of each thread of this process named `name` (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOfThreadsNamed(name: string): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    if (fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== name) continue;
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

function mainThreadNice(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

it('names every worker thread and runs it at the nice increment asked for', async () => {
  pool = new WorkerPool({ maxThreads: 2, minThreads: 2, workerNiceIncrement: 3 });
  await Promise.all([0, 1, 2, 3].map(() => pool!.dataHash('native', 'sha256', [Uint8Array.of(1, 2, 3)])));
  const nices = niceOfThreadsNamed(POOL_THREAD_NAME);
  expect(nices).toHaveLength(2);
  for (const nice of nices) expect(nice).toBe(Math.min(19, mainThreadNice() + 3));
});

it('refuses a nice increment outside 1..19, naming it', () => {
  expect(() => lowerThisThreadPriority(0)).toThrow(/nice increment must be an integer in 1\.\.19, got 0/);
  expect(() => lowerThisThreadPriority(20)).toThrow(/got 20/);
});
