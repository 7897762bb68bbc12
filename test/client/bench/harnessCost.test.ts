// The harness's cost is told apart from signing: envelopes are signed in
// processes of their own, whose CPU (GC included) is counted apart from what
// sending, acknowledging and following commits cost.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeNodePorts, keygen } from '../../../src/cli/index.js';
import { EnvelopeSupply, runBench } from '../../../src/client/index.js';
import { readHarnessThreads } from '../../../src/client/bench/procStat.js';
import { withStubTarget } from './withStubTarget.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cost-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readHarnessThreads', () => {
  it.runIf(process.platform === 'linux')(
    'counts the signing processes apart from the harness process',
    async () => {
      const manifest = keygen({ outDir: dir, nodes: 1, algorithm: 'ecdsa-p256', channelId: 'c', ports: await freeNodePorts(1), engine: 'native' });
      const supply = new EnvelopeSupply(
        { mspDir: path.join(dir, manifest.client.mspDir), mspId: manifest.client.mspId, channelId: 'c', envelopeBytes: 256 },
        1,
      );
      try {
        // The process has loaded its code after its first task.
        await supply.prepare(10);
        const before = readHarnessThreads(supply.signingPids);
        await supply.prepare(6000);
        const after = readHarnessThreads(supply.signingPids);
        const signingUs = after.signingUs - before.signingUs;
        // 6,000 P-256 signatures take far more than one 10 ms tick of CPU; this process only received them.
        expect(signingUs).toBeGreaterThan(50_000);
        expect(after.processUs - before.processUs).toBeLessThan(signingUs / 2);
        expect(after.mainUs - before.mainUs).toBeLessThan(signingUs / 2);
      } finally {
        await supply.close();
      }
    },
    120_000,
  );

  it('leaves the nodes unwatched when asked: seconds carry the harness counts only', async () => {
    const rig = { stub: { blockIntervalMs: 50 }, channelId: 'c', envelopeBytes: 256, prepare: 400 };
    await withStubTarget(path.join(dir, 'quiet'), rig, async ({ target, supply }) => {
      const schedule = { phases: [{ kind: 'rate' as const, name: 'r', durationS: 2, rate: 100, toRate: 100 }], faults: [] };
      const quiet = await runBench({ target, schedule, role: 'all', streamsPerNode: 1, maxOutstanding: 100, supply, watchNodes: false });
      expect(quiet.seconds.length).toBeGreaterThan(1);
      for (const second of quiet.seconds) expect(second.nodes).toEqual([]);
      expect(quiet.seconds.reduce((total, s) => total + s.acknowledged, 0)).toBe(quiet.total.acknowledged);
      const watched = await runBench({ target, schedule, role: 'all', streamsPerNode: 1, maxOutstanding: 100, supply });
      for (const second of watched.seconds) expect(second.nodes.map((n) => n.id)).toEqual([1]);
    });
  }, 120_000);

  it('gives a steady-state cost from the end of the warm-up to the end of the run, and none when no warm-up as long follows it', async () => {
    const rig = { stub: { blockIntervalMs: 50 }, channelId: 'c', envelopeBytes: 256, prepare: 800 };
    await withStubTarget(path.join(dir, 'steady'), rig, async ({ target, supply }) => {
      const schedule = { phases: [{ kind: 'rate' as const, name: 'r', durationS: 3, rate: 100, toRate: 100 }], faults: [] };
      const options = { target, schedule, role: 'all' as const, streamsPerNode: 1, maxOutstanding: 100, supply, watchNodes: false };
      const run = await runBench({ ...options, warmUpS: 1 });
      const steady = run.harness.steady!;
      expect(steady.fromS).toBeGreaterThanOrEqual(1);
      expect(steady.fromS).toBeLessThan(run.elapsedMs / 1000 - 1);
      // Envelopes acknowledged after the warm-up only: some, not all of the run's.
      expect(steady.acknowledged).toBeGreaterThan(0);
      expect(steady.acknowledged).toBeLessThan(run.harness.acknowledged);
      expect(steady.processCpuUs).toBeLessThanOrEqual(run.harness.processCpuUs);
      const short = await runBench({ ...options, warmUpS: 30 });
      expect(short.harness.steady).toBeUndefined();
    });
  }, 120_000);
});
