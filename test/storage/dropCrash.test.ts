// A channel drop killed by SIGKILL at every step that matters, on both
// engines: on the next open the dropped channel is whole (killed before any
// of the drop was written) or gone (killed after its first durable step), the
// channel appending meanwhile has every block it acknowledged, and a second
// open finds the same (an interrupted native-free drop is finished durably at
// the first one).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../src/storage/index.js';
import { doomedBlocks, expectDropped, expectFilled } from './fixtures/dropFill.js';
import { chainBlock, openEnv, tempDirsPerTest } from './helpers.js';

const childScript = fileURLToPath(new URL('./fixtures/dropCrash.ts', import.meta.url));
const freshDir = tempDirsPerTest();

interface ChildRun {
  /** Highest keeper block acknowledged as durable, -1 if none. */
  keeperAcked: number;
  dropped: boolean;
}

/** Runs the child until it dies by SIGKILL: by itself at `killAt`, or by us `randomKillMs` after "filled". */
function runChild(engine: EngineName, dir: string, killAt: string, randomKillMs?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, engine, dir, killAt], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { keeperAcked: -1, dropped: false };
    let pending = '';
    let stderr = '';
    let filled = false;
    // Bound: a child that never dies is killed and reported.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'filled') {
          filled = true;
          if (randomKillMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), randomKillMs);
        } else if (line === 'dropped') run.dropped = true;
        else if (line.startsWith('B keeper ')) run.keeperAcked = Math.max(run.keeperAcked, Number(line.slice(9)));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (timer !== undefined) clearTimeout(timer);
      if (signal === 'SIGKILL' && filled) resolve(run);
      else reject(new Error(`drop child (${killAt}) ended with code ${code} signal ${signal}, filled=${filled}: ${stderr}`));
    });
  });
}

/** Opens `dir` twice; each time: doomed whole or gone as `expected`, keeper holding what it acknowledged. */
async function verify(engine: EngineName, dir: string, run: ChildRun, expected: 'whole' | 'gone' | 'whole-or-gone'): Promise<'whole' | 'gone'> {
  let found: 'whole' | 'gone' | undefined;
  for (let open = 0; open < 2; open++) {
    const env = openEnv(engine, dir, { segmentMaxBytes: 4096 });
    try {
      const now = env.storedChannels().includes('doomed') ? 'whole' : 'gone';
      if (expected !== 'whole-or-gone') expect(now, `open ${open}: doomed`).toBe(expected);
      if (found !== undefined) expect(now, 'the second open finds what the first found').toBe(found);
      found = now;
      if (now === 'whole') expectFilled(env, 'doomed', doomedBlocks);
      else expectDropped(env, 'doomed');
      const keeper = env.channel('keeper').ledger;
      expect(keeper.height, 'keeper holds every acknowledged block').toBeGreaterThanOrEqual(run.keeperAcked + 1);
      for (let n = 0; n < keeper.height; n++) expect(Buffer.compare(keeper.block(n).bytes, chainBlock('keeper', n).bytes), `keeper block ${n}`).toBe(0);
    } finally {
      await env.close();
    }
    if (engine === 'native-free') {
      expect(fs.existsSync(join(dir, 'pending-drops.json')), 'no drop left pending after an open').toBe(false);
      expect(
        fs.readdirSync(join(dir, 'ledger')).filter((n) => n.endsWith('.tmp')),
        'no rewrite left behind after an open',
      ).toEqual([]);
    }
  }
  return found!;
}

const steps: ReadonlyArray<{ engine: EngineName; killAt: string; expected: 'whole' | 'gone' }> = [
  { engine: 'native', killAt: 'before-drop-sync', expected: 'whole' },
  { engine: 'native', killAt: 'intent-durable', expected: 'gone' },
  { engine: 'native', killAt: 'sweep-step-durable', expected: 'gone' },
  { engine: 'native-free', killAt: 'before-drop-sync', expected: 'whole' },
  { engine: 'native-free', killAt: 'intent-durable', expected: 'gone' },
  { engine: 'native-free', killAt: 'ledger-tombstone-durable', expected: 'gone' },
  { engine: 'native-free', killAt: 'wal-tombstone-durable', expected: 'gone' },
  { engine: 'native-free', killAt: 'ledger-rewrite-written', expected: 'gone' },
  { engine: 'native-free', killAt: 'ledger-segment-rewritten', expected: 'gone' },
];

describe('channel drop killed by SIGKILL', () => {
  for (const { engine, killAt, expected } of steps) {
    it(`${engine}, killed at ${killAt}: the channel is ${expected} on the next open`, async () => {
      const dir = freshDir();
      const run = await runChild(engine, dir, killAt);
      expect(run.dropped, 'the drop never resolved before the kill').toBe(false);
      await verify(engine, dir, run, expected);
    }, 90_000);
  }

  for (const engine of ['native', 'native-free'] as const) {
    it(`${engine}, killed at random moments around the drop: whole or gone, gone once acknowledged`, async () => {
      const outcomes: string[] = [];
      for (const killMs of [0, 5, 15, 40]) {
        const dir = freshDir();
        const run = await runChild(engine, dir, 'random', killMs);
        const found = await verify(engine, dir, run, run.dropped ? 'gone' : 'whole-or-gone');
        outcomes.push(`${killMs} ms: ${found}${run.dropped ? ' (acknowledged)' : ''}`);
      }
      console.info(`${engine} random drop kills: ${outcomes.join(', ')}`);
    }, 120_000);
  }
});
