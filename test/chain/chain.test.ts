// Three chains of one channel in one process (real storage, in-memory
// transport, manual clock): the ordering behaviour end to end.

import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, headerHash, readBlockSignatures } from '../../src/block/index.js';
import { firstCampaigner } from '../../src/chain/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { CHANNEL, TestCluster } from './harness.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function started(settings?: ConstructorParameters<typeof TestCluster>[0]): Promise<TestCluster> {
  cluster = new TestCluster(settings);
  await cluster.start();
  return cluster;
}

/** Every node's ledger: same headers and data, each block chained to the previous by header hash. */
function expectIdenticalHashChains(c: TestCluster): void {
  const heights = c.ids.map((id) => c.chain(id).height());
  expect(new Set(heights).size).toBe(1);
  for (let n = 1; n < heights[0]!; n++) {
    const blocks = c.ids.map((id) => decodeBlock(c.chain(id).block(n)));
    const previous = decodeBlock(c.chain(1).block(n - 1));
    for (const block of blocks) {
      expect(block.header.number).toBe(n);
      expect(Buffer.from(block.header.previousHash).equals(Buffer.from(headerHash(sha256, previous.header)))).toBe(true);
      expect(Buffer.from(headerHash(sha256, block.header)).equals(Buffer.from(headerHash(sha256, blocks[0]!.header)))).toBe(true);
    }
  }
}

describe('chain: start-up', () => {
  it('the first campaigner of a fresh channel leads before any election timeout passes', async () => {
    const c = await started();
    const expected = firstCampaigner(sha256, CHANNEL, c.ids);
    const ticks = await c.tickUntil(() => c.leaderId() !== 0, 30, 'a leader');
    expect(c.leaderId()).toBe(expected);
    // The others would campaign only after electionTick (10) ticks without a leader.
    expect(ticks).toBeLessThan(10);
    for (const id of c.ids) expect(c.chain(id).status()).toMatchObject({ leaderId: expected, clusterSize: 3, height: 1 });
  });
});

describe('chain: ordering', () => {
  it('orders envelopes submitted to leader and followers into identical hash-chained ledgers, each exactly once', async () => {
    const c = await started();
    await c.waitForLeader();
    const submitted: string[] = [];
    const results = [];
    for (let i = 0; i < 45; i++) {
      const { bytes, txId } = c.envelope();
      submitted.push(txId);
      results.push(c.chain(c.ids[i % 3]!).submit(bytes));
    }
    await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === submitted.length), 80, 'all envelopes in every ledger');
    for (const r of await Promise.all(results)) expect(r).toEqual({ status: 'SUCCESS', info: '' });
    expectIdenticalHashChains(c);
    for (const id of c.ids) expect(c.txIds(id).sort()).toEqual([...submitted].sort());
    // Each node signs the blocks it writes with its own identity.
    for (const id of c.ids) {
      const signatures = readBlockSignatures(decodeBlock(c.chain(id).block(1)));
      expect(Buffer.from(signatures.signedData[0]!.creator).equals(Buffer.from(c.node(id).identity.serializedIdentity))).toBe(true);
      expect(signatures.etcdraft?.consenterIds).toEqual([1, 2, 3]);
    }
  });
});
