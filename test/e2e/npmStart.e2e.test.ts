// `npm start` (scripts/start.ts) as a user runs it: a fresh directory, the
// local 3-node cluster started, transactions flowing, the live view showing
// committed tx/s, blocks/s, the leader and each node's height; SIGINT (what
// Ctrl-C sends) stops everything cleanly with no orderer left running.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { address, readManifest } from '../../src/cli/dev/layout.js';
import { isListening } from '../../src/client/nodeMetrics.js';
import { freeBasePort } from './helpers.js';

const START = fileURLToPath(new URL('../../scripts/start.ts', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-npm-start-'));

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A live-view line whose committed tx/s is positive, with a leader and three heights. */
const LIVE_LINE = /committed\s+([1-9]\d*) tx\/s\s+[\d.]+ blocks\/s\s+leader: node\d.*heights: node1=\d+\s+node2=\d+\s+node3=\d+/;

describe('npm start', () => {
  it('runs the local cluster with a live view of committed load, and Ctrl-C stops every node cleanly', async () => {
    const basePort = await freeBasePort(3);
    const child = spawn(process.execPath, ['--import', 'tsx', START, '--dir', path.join(dir, 'demo'), '--base-port', String(basePort), '--rate', '300'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = performance.now() + 120_000;
      while (!LIVE_LINE.test(output)) {
        if (performance.now() > deadline || child.exitCode !== null) throw new Error(`no live line with committed load; output so far:\n${output}`);
        await sleep(250);
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped: node \d exit 0, node \d exit 0, node \d exit 0/);
    const manifest = readManifest(path.join(dir, 'demo'));
    const up = await Promise.all(manifest.nodes.map((n) => isListening(address(n, 'operations'))));
    expect(up).toEqual([false, false, false]);
  }, 180_000);
});
