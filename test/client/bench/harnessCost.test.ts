// The harness's cost is told apart by thread: its signing workers name
// themselves, so the CPU of envelopes signed on the fly is counted apart
// from what sending, acknowledging and following commits cost.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeNodePorts, keygen } from '../../../src/cli/index.js';
import { EnvelopeSupply } from '../../../src/client/index.js';
import { readHarnessThreads } from '../../../src/client/bench/procStat.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cost-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readHarnessThreads', () => {
  it.runIf(process.platform === 'linux')(
    'counts the signing workers apart from the main thread',
    async () => {
      const manifest = keygen({ outDir: dir, nodes: 1, algorithm: 'ecdsa-p256', channelId: 'c', ports: await freeNodePorts(1), engine: 'native' });
      const supply = new EnvelopeSupply(
        { mspDir: path.join(dir, manifest.client.mspDir), mspId: manifest.client.mspId, channelId: 'c', envelopeBytes: 256 },
        1,
      );
      try {
        // The worker starts (and names itself) on its first task.
        await supply.prepare(10);
        const before = readHarnessThreads();
        await supply.prepare(6000);
        const after = readHarnessThreads();
        const signingUs = after.signingUs - before.signingUs;
        // 6,000 P-256 signatures take far more than one 10 ms tick of CPU; the main thread only waited for them.
        expect(signingUs).toBeGreaterThan(50_000);
        expect(after.mainUs - before.mainUs).toBeLessThan(signingUs);
        expect(after.processUs - before.processUs).toBeGreaterThanOrEqual(signingUs * 0.9);
      } finally {
        await supply.close();
      }
    },
    120_000,
  );
});
