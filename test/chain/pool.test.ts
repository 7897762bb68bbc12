// The chain on the real worker pool (PoolCompute): envelopes verified, block
// data hashed and blocks signed in the pool's threads give the same ledgers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, decodeBlock, encodeSerializedIdentity, HeaderType, readBlockSignatures } from '../../src/block/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { WorkerPool } from '../../src/workers/index.js';
import { CHANNEL, TestCluster } from './harness.js';

let pool: WorkerPool;
let c: TestCluster;

beforeAll(async () => {
  pool = new WorkerPool({ maxThreads: 2 });
  c = new TestCluster({ pool });
  await c.start();
});

afterAll(async () => {
  await c.close();
  await pool.close();
});

describe('chain on the worker pool', () => {
  it('orders envelopes into identical ledgers, each block signed by the node that wrote it', async () => {
    await c.waitForLeader();
    const envelopes = Array.from({ length: 24 }, () => c.envelope());
    const results = await Promise.all(envelopes.map((e, i) => c.chain(c.ids[i % 3]!).submit(e.bytes)));
    expect(results.filter((r) => r.status !== 'SUCCESS')).toEqual([]);
    await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === 24), 100, 'all envelopes everywhere');
    const want = envelopes.map((e) => e.txId).sort();
    for (const id of c.ids) {
      expect(c.txIds(id).sort()).toEqual(want);
      expect(c.txIds(id)).toEqual(c.txIds(1));
      const signed = readBlockSignatures(decodeBlock(c.chain(id).block(1)));
      expect(Buffer.from(signed.signedData[0]!.creator).equals(Buffer.from(c.node(id).identity.serializedIdentity))).toBe(true);
    }
  });

  it("passes on the pool's FORBIDDEN verdict with its reason", async () => {
    const outsider = new DevOrganization({ mspId: 'OutsiderMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') }).issueMember('eve');
    const creator = { signer: outsider.signer, serializedIdentity: encodeSerializedIdentity({ mspid: outsider.mspId, idBytes: outsider.idBytes }) };
    const env = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new Uint8Array(4), creator });
    const r = await c.chain(2).submit(env);
    expect(r.status).toBe('FORBIDDEN');
    expect(r.info).toContain('OutsiderMSP');
  });
});
