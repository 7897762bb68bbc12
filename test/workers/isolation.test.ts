// One envelope's failure is that envelope's answer: a creator certificate no
// X.509 reader accepts (a subject byte set to 0xFF) is refused as FORBIDDEN in
// its own verdict, and the valid envelopes of the same verifyBatch pass — for
// both engines, through the real pool.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Status } from '../../src/block/index.js';
import type { Engine } from '../../src/crypto/types.js';
import { WorkerPool } from '../../src/workers/index.js';
import { CHANNEL, signedEnvelope, testChannel } from './fixtures.js';
import { envelopeWithBadCreator } from './hostileCertificates.js';

const ENGINES: readonly Engine[] = ['native', 'native-free'];

let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool({ maxThreads: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe.each(ENGINES)('a creator certificate with a subject byte set to 0xFF, %s engine', (engine) => {
  const channel = testChannel('ecdsa-p256');
  const alice = channel.org1.issueMember('Alice');
  const bob = channel.org2.issueMember('Bob');

  it('is refused as FORBIDDEN in its own verdict; the valid envelopes of its batch pass', async () => {
    const handle = await pool.registerVerificationContext({
      channelId: CHANNEL,
      engine,
      signatureAlgorithm: 'ecdsa-p256',
      organizations: channel.organizations,
    });
    const envelopes = [
      signedEnvelope(alice, 'tx-0'),
      envelopeWithBadCreator(bob, CHANNEL, 'tx-bad'),
      signedEnvelope(bob, 'tx-2'),
      envelopeWithBadCreator(alice, CHANNEL, 'tx-bad-2'),
      signedEnvelope(alice, 'tx-4'),
    ];
    const verdicts = await pool.verifyBatch(handle, envelopes);
    expect(verdicts.map((v) => v.ok)).toEqual([true, false, true, false, true]);
    for (const [i, txId] of [
      [1, 'tx-bad'],
      [3, 'tx-bad-2'],
    ] as const) {
      const verdict = verdicts[i]!;
      if (verdict.ok) throw new Error('expected a rejection');
      expect(verdict.status).toBe(Status.FORBIDDEN);
      expect(verdict.code).toBe('IDENTITY_UNPARSABLE_CERT');
      expect(verdict.reason).toContain(`creator of tx "${txId}"`);
      expect(verdict.reason).toMatch(/UTF-?8/i);
    }
  });
});
