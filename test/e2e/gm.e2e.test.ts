// The GM suite end to end: a 3-node cluster whose channel signs with SM2 and
// hashes with SM3 (the cluster's TLS stays P-256: Node's TLS has no SM2).
// SM2-signed envelopes are ordered into SM3 hash-chained blocks on every node;
// an envelope from a look-alike organization (same MSP id, own P-256 CA) is refused.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeSerializedIdentity, HeaderType, Status } from '../../src/block/index.js';
import { BroadcastStream } from '../../src/client/abClient.js';
import { createEnvelopePool } from '../../src/client/envelopePool.js';
import { runLoad } from '../../src/client/load.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { blocksFrom, hashChainFault, headersOf, ledgerFailures, startE2eCluster, txIdsOf, type E2eCluster } from './helpers.js';
import { setTimeout as sleep } from 'node:timers/promises';

let e2e: E2eCluster;

beforeAll(async () => {
  e2e = await startE2eCluster({ algorithm: 'sm2' });
}, 120_000);

afterAll(async () => {
  await e2e?.dispose();
}, 60_000);

describe('an SM2/SM3 (GM) channel on a 3-node cluster', () => {
  it('orders SM2-signed envelopes into SM3 hash-chained blocks, the same on every node', async () => {
    expect(e2e.creator.signer.algorithm).toBe('sm2');
    const leader = await e2e.cluster.waitLeader(30_000);
    const follower = e2e.cluster.nodes.find((n) => n.id !== leader)!.id;
    const pool = createEnvelopePool({ channelId: e2e.channelId, creator: e2e.creator, count: 100 });
    const report = await runLoad({ client: e2e.client(follower), envelopes: pool, streams: 1, windowPerStream: 16, durationMs: 60_000, once: true });
    expect(report).toMatchObject({ sent: 100, succeeded: 100, refused: {} });

    const wanted = new Set(pool.map((e) => e.txId));
    const deadline = performance.now() + 30_000;
    let perNode: Awaited<ReturnType<typeof blocksFrom>>[] = [];
    for (;;) {
      const numbers = await e2e.cluster.committedBlockNumbers();
      const stop = Math.min(...[...numbers.values()].map((n) => n ?? 0));
      perNode = await Promise.all(e2e.cluster.nodes.map((n) => blocksFrom(e2e, n.id, stop)));
      if (perNode.every((blocks) => txIdsOf(blocks).filter((id) => wanted.has(id)).length === 100)) break;
      if (performance.now() > deadline) throw new Error('the 100 SM2 envelopes were not committed on every node within 30 s');
      await sleep(200);
    }
    for (const blocks of perNode) {
      expect(hashChainFault(blocks, 'sm3')).toBeUndefined();
      expect(ledgerFailures(blocks, 'sm3')).toEqual([]); // SM2 creator and orderer signatures verify
      expect(hashChainFault(blocks, 'sha256')).toBeDefined(); // the chain really is SM3, not SHA-256
      expect(headersOf(blocks)).toEqual(headersOf(perNode[0]!));
    }
  });

  it('refuses an envelope from a look-alike organization (same MSP id, its own P-256 CA)', async () => {
    const provider = createCryptoProvider('native');
    const other = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider, domain: 'org1.example.com' });
    const member = other.issueMember('User1@org1.example.com');
    const creator = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: member.idBytes }) };
    const stream = new BroadcastStream(e2e.client(1));
    const response = await stream.send(
      createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: e2e.channelId, data: new Uint8Array(8), creator }),
    );
    await stream.end();
    expect(Status[response.status]).toBe('FORBIDDEN');
  });
});
