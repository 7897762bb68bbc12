// submitAll, a stream's read burst in one call, on a 3-node channel: one
// answer per envelope in the burst's order, whatever mix of good and bad
// envelopes it holds, on the leader and through a follower; every valid
// envelope ordered exactly once, nothing refused ordered.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeSerializedIdentity, HeaderType } from '../../src/block/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { CHANNEL, TestCluster } from './harness.js';

let c: TestCluster;
let leader: number;
let follower: number;

beforeAll(async () => {
  c = new TestCluster({ options: { batchTimeoutMs: 300, batchSize: { maxMessageCount: 7, absoluteMaxBytes: 4096, preferredMaxBytes: 2048 } } });
  await c.start();
  leader = await c.waitForLeader();
  follower = c.ids.find((id) => id !== leader)!;
});

afterAll(async () => {
  await c.close();
});

const outsider = new DevOrganization({ mspId: 'OutsiderMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') }).issueMember('mallory');
const outsiderCreator = { signer: outsider.signer, serializedIdentity: encodeSerializedIdentity({ mspid: outsider.mspId, idBytes: outsider.idBytes }) };

/** A burst mixing every kind of answer, and the statuses expected for it, in order. */
function mixedBurst(tag: string) {
  const valid = Array.from({ length: 12 }, () => c.envelope());
  const forbidden = createSignedEnvelope({
    type: HeaderType.ENDORSER_TRANSACTION,
    channelId: CHANNEL,
    data: new Uint8Array(4),
    creator: outsiderCreator,
    txId: `mallory-${tag}`,
  });
  const envelopes = [
    valid[0]!.bytes,
    Uint8Array.of(0xff, 0x01, 0x02),
    ...valid.slice(1, 6).map((v) => v.bytes),
    forbidden,
    valid[0]!.bytes.slice(), // the first envelope again, in the same burst
    c.envelope(5000).bytes,
    ...valid.slice(6).map((v) => v.bytes),
  ];
  const expected = [
    'SUCCESS',
    'BAD_REQUEST',
    ...valid.slice(1, 6).map(() => 'SUCCESS'),
    'FORBIDDEN',
    'SUCCESS',
    'BAD_REQUEST',
    ...valid.slice(6).map(() => 'SUCCESS'),
  ];
  return { envelopes, expected, txIds: valid.map((v) => v.txId) };
}

describe('submitAll', () => {
  for (const where of ['leader', 'follower'] as const) {
    it(`answers a mixed burst on the ${where} in order, and orders each valid envelope exactly once`, async () => {
      const { envelopes, expected, txIds } = mixedBurst(where);
      const results = await c.chain(where === 'leader' ? leader : follower).submitAll(envelopes);
      expect(results.map((r) => r.status)).toEqual(expected);
      expect(results[1]!.info).toMatch(/^malformed envelope/);
      expect(results[7]!.info).toContain('OutsiderMSP');
      expect(results[8]!.info).toMatch(/^duplicate: tx /);
      expect(results[9]!.info).toMatch(/4096/);
      await c.tickUntil(() => c.ids.every((id) => txIds.every((t) => c.txIds(id).includes(t))), 60, 'every valid tx on every node');
      await c.tick(5);
      for (const id of c.ids) {
        const ledger = c.txIds(id);
        for (const txId of txIds) expect(ledger.filter((t) => t === txId)).toHaveLength(1);
        expect(ledger).not.toContain(`mallory-${where}`);
      }
    });
  }

  it('answers an empty burst with nothing', async () => {
    expect(await c.chain(leader).submitAll([])).toEqual([]);
  });
});
