// Three chains of one channel in one process (real storage, in-memory
// transport, manual clock): the ordering behaviour end to end.

import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, headerHash, readBlockSignatures } from '../../src/block/index.js';
import { firstCampaigner } from '../../src/chain/index.js';
import { SIGNING_BATCH_MAX, SIGNING_IN_FLIGHT_MAX } from '../../src/chain/order/blockApplier.js';
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

/** Every node's ledger: same headers and data, each block chained to the previous by header hash (the channel's hash). */
function expectIdenticalHashChains(c: TestCluster): void {
  const hasher = createCryptoProvider('native').hasher(c.hashAlgorithm);
  const heights = c.ids.map((id) => c.chain(id).height());
  expect(new Set(heights).size).toBe(1);
  for (let n = 1; n < heights[0]!; n++) {
    const blocks = c.ids.map((id) => decodeBlock(c.chain(id).block(n)));
    const previous = decodeBlock(c.chain(1).block(n - 1));
    for (const block of blocks) {
      expect(block.header.number).toBe(n);
      expect(Buffer.from(block.header.previousHash).equals(Buffer.from(headerHash(hasher, previous.header)))).toBe(true);
      expect(Buffer.from(headerHash(hasher, block.header)).equals(Buffer.from(headerHash(hasher, blocks[0]!.header)))).toBe(true);
    }
  }
}

describe('chain: start-up', () => {
  it('the first campaigner of a fresh channel leads before any election timeout passes', async () => {
    const c = await started();
    const expected = firstCampaigner(sha256, CHANNEL, c.ids);
    const ticks = await c.tickUntil(() => c.agreedLeaderId() !== 0, 30, 'a leader every node knows');
    expect(c.leaderId()).toBe(expected);
    // The others would campaign only after electionTick (10) ticks without a leader.
    expect(ticks).toBeLessThan(10);
    for (const id of c.ids) expect(c.chain(id).status()).toMatchObject({ leaderId: expected, clusterSize: 3, height: 1 });
  });
});

describe.each([
  { engine: 'native', gm: false },
  { engine: 'native-free', gm: false },
  { engine: 'native', gm: true },
] as const)('chain: ordering (engine $engine, GM channel: $gm)', ({ engine, gm }) => {
  it('orders envelopes submitted to leader and followers into identical hash-chained ledgers, each exactly once', async () => {
    const c = await started({ engine, gm });
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
    for (const id of c.ids) expect(c.peakPersists.get(id)).toBe(1); // one Ready in flight per chain
    for (const id of c.ids) expect(c.txIds(id).sort()).toEqual([...submitted].sort());
    // Each node signs the blocks it writes with its own identity.
    for (const id of c.ids) {
      const signatures = readBlockSignatures(decodeBlock(c.chain(id).block(1)));
      expect(Buffer.from(signatures.signedData[0]!.creator).equals(Buffer.from(c.node(id).identity.serializedIdentity))).toBe(true);
      expect(signatures.etcdraft?.consenterIds).toEqual([1, 2, 3]);
    }
  });
});

/** Tracks a promise's settlement without awaiting it. */
function track<T>(promise: Promise<T>): { done: boolean; value: T | undefined } {
  const state: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  void promise.then((value) => {
    state.done = true;
    state.value = value;
  });
  return state;
}

describe('chain: backpressure', () => {
  it('never has more than maxInflightBlocks proposed-uncommitted blocks; submits wait at the limit and resume as blocks commit', async () => {
    const c = await started({ options: { maxInflightBlocks: 2, batchSize: { maxMessageCount: 1, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } } });
    const leader = await c.waitForLeader();
    // Nothing the leader sends arrives, and no tick passes: its blocks cannot commit.
    c.network.isolate(leader);
    const envelopes = Array.from({ length: 6 }, () => c.envelope());
    const results = envelopes.map((e) => track(c.chain(leader).submit(e.bytes)));
    await c.settle();
    expect(results.filter((r) => r.done).length).toBe(2);
    expect(c.chain(leader).stats()).toMatchObject({ inflightBlocks: 2, waitingSubmits: 4 });
    c.network.heal();
    await c.tickUntil(() => c.ids.every((id) => c.chain(id).height() === 7), 60, 'six blocks everywhere');
    await c.settle();
    expect(results.every((r) => r.done && r.value?.status === 'SUCCESS')).toBe(true);
    expect(c.chain(leader).stats().peakInflightBlocks).toBe(2);
    expect(c.chain(leader).stats().inflightBlocks).toBe(0);
    const gauge = await c.node(leader).registry.getSingleMetric('consensus_etcdraft_inflight_blocks')!.get();
    expect(gauge.values[0]!.value).toBe(0);
    expectIdenticalHashChains(c);
    for (const id of c.ids) expect(c.txIds(id)).toEqual(c.txIds(leader));
  });
});

describe('chain: leadership', () => {
  it('holds a submit while no leader is known, and answers SERVICE_UNAVAILABLE when none is within an election timeout', async () => {
    const c = await started();
    await c.waitForLeader();
    c.network.cutAll();
    await c.tickUntil(() => c.ids.every((id) => c.chain(id).status().leaderId === 0), 40, 'every node without a leader');
    const answers = c.ids.map((id) => c.chain(id).submit(c.envelope().bytes));
    let answered = 0;
    for (const a of answers) void a.then(() => answered++);
    await c.settle(); // verified, and held
    await c.tick(9); // 900 ms of a 1,000 ms election timeout
    await c.settle();
    expect(answered).toBe(0);
    await c.tickUntil(() => answered === answers.length, 2, 'every held submit answered');
    for (const a of answers) expect(await a).toEqual({ status: 'SERVICE_UNAVAILABLE', info: 'no Raft leader known within 1000 ms' });
  });

  it('a submit made while no leader is known is ordered once a leader is elected', async () => {
    const c = await started();
    await c.waitForLeader();
    c.network.cutAll();
    await c.tickUntil(() => c.ids.every((id) => c.chain(id).status().leaderId === 0), 40, 'every node without a leader');
    const envelope = c.envelope();
    const answer = c.chain(c.ids[0]!).submit(envelope.bytes);
    c.network.heal();
    await c.tickUntil(() => c.ids.every((id) => c.chain(id).status().leaderId !== 0), 9, 'a leader within the hold');
    await c.tick(3);
    expect(await answer).toEqual({ status: 'SUCCESS', info: '' });
    await c.tickUntil(() => c.txIds(c.ids[0]!).includes(envelope.txId), 40, 'the held envelope ordered');
  });

  it('a follower that cannot reach the leader answers SERVICE_UNAVAILABLE naming the unreachable leader', async () => {
    const c = await started();
    const leader = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== leader)!;
    c.network.isolate(leader);
    const result = await c.chain(follower).submit(c.envelope().bytes);
    expect(result.status).toBe('SERVICE_UNAVAILABLE');
    expect(result.info).toContain(`node ${leader} is unreachable`);
  });

  it('a leader that steps down hands its accepted, unproposed envelopes to the new leader', async () => {
    const c = await started({ options: { batchTimeoutMs: 3000, batchSize: { maxMessageCount: 100, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } } });
    const oldLeader = await c.waitForLeader();
    const pending = Array.from({ length: 5 }, () => c.envelope());
    for (const e of pending) expect(await c.chain(oldLeader).submit(e.bytes)).toEqual({ status: 'SUCCESS', info: '' });
    expect(c.chain(oldLeader).height()).toBe(1); // accepted into the cutter, no block yet
    c.network.isolate(oldLeader);
    await c.tickUntil(() => !c.chain(oldLeader).status().isLeader && c.leaderId() !== 0, 40, 'a new leader');
    expect(c.leaderId()).not.toBe(oldLeader);
    expect(c.chain(oldLeader).stats().heldForHandover).toBe(5);
    c.network.heal();
    const want = pending.map((e) => e.txId).sort();
    await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === 5), 80, 'the handed-over envelopes in every ledger');
    for (const id of c.ids) expect(c.txIds(id).sort()).toEqual(want);
    expect(c.chain(oldLeader).stats().heldForHandover).toBe(0);
    expectIdenticalHashChains(c);
  });
});

describe('chain: a stalled disk', () => {
  it('ticks keep reaching Raft while a Ready waits on the disk, and the node catches up after', async () => {
    const c = await started();
    const leader = await c.waitForLeader();
    const stalled = c.ids.find((id) => id !== leader)!;
    c.stallDisk(stalled);
    // A full batch (maxMessageCount 10) is cut and proposed at once: the stalled node's Ready with its entry waits on the disk.
    await Promise.all(Array.from({ length: 10 }, () => c.chain(leader).submit(c.envelope().bytes)));
    await c.tick(2);
    expect(c.chain(stalled).height()).toBe(1);
    c.network.isolate(stalled);
    await c.tick(25); // more than 2 x electionTick: only ticks can make it give up on its leader
    expect(c.chain(stalled).status().leaderId).toBe(leader); // nothing processed yet: its Ready is still in flight
    c.resumeDisk(stalled);
    await c.settle(); // no tick from here on
    expect(c.chain(stalled).status().leaderId).toBe(0); // the ticks it got while stalled took effect
    c.network.heal();
    await c.tickUntil(() => c.agreedLeaderId() !== 0 && c.chain(stalled).height() === c.chain(c.agreedLeaderId()).height(), 60, 'the stalled node caught up');
    expectIdenticalHashChains(c);
  });
});

describe('chain: catching up', () => {
  it('a follower catching up on many committed blocks signs at most SIGNING_IN_FLIGHT_MAX at once, in batches of up to SIGNING_BATCH_MAX', async () => {
    const c = await started({ options: { batchSize: { maxMessageCount: 1, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } } });
    const leader = await c.waitForLeader();
    const lagging = c.ids.find((id) => id !== leader)!;
    c.network.isolate(lagging);
    const count = 3 * SIGNING_IN_FLIGHT_MAX;
    await Promise.all(Array.from({ length: count }, () => c.chain(leader).submit(c.envelope().bytes)));
    await c.tickUntil(() => c.txIds(leader).length === count, 80, 'blocks on the leader');
    expect(c.chain(lagging).height()).toBe(1);
    c.network.heal();
    await c.tickUntil(() => c.chain(lagging).height() === count + 1, 80, 'the lagging node caught up');
    expect(c.peakSigning.get(lagging)).toBe(SIGNING_IN_FLIGHT_MAX);
    const calls = c.signingCalls.get(lagging)!;
    expect(calls.reduce((a, b) => a + b, 0)).toBe(count);
    expect(Math.max(...calls)).toBe(SIGNING_BATCH_MAX);
    expect(calls.length).toBeLessThanOrEqual(count / 4);
    expect(c.txIds(lagging)).toEqual(c.txIds(leader));
  });
});

describe('chain: restart', () => {
  it('restarts every node from its storage without writing any block twice, then keeps ordering', async () => {
    const c = await started();
    await c.waitForLeader();
    const first = Array.from({ length: 25 }, () => c.envelope());
    await Promise.all(first.map((e, i) => c.chain(c.ids[i % 3]!).submit(e.bytes)));
    await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === 25), 80, 'first envelopes everywhere');
    const before = new Map(c.ids.map((id) => [id, Array.from({ length: c.chain(id).height() }, (_, n) => Buffer.from(c.chain(id).block(n)))]));
    for (const id of c.ids) await c.stop(id);
    for (const id of c.ids) await c.restart(id);
    await c.waitForLeader();
    await c.tick(3);
    for (const id of c.ids) {
      // Replayed entries were recognised before signing: nothing was re-written.
      expect(c.signedBlocks.get(id)).toBe(0);
      const blocks = before.get(id)!;
      expect(c.chain(id).height()).toBe(blocks.length);
      // The very bytes written before the restart: a rewrite would carry a new signature nonce.
      blocks.forEach((bytes, n) => expect(Buffer.from(c.chain(id).block(n)).equals(bytes)).toBe(true));
    }
    const second = Array.from({ length: 10 }, () => c.envelope());
    await Promise.all(second.map((e, i) => c.chain(c.ids[i % 3]!).submit(e.bytes)));
    await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === 35), 80, 'second envelopes everywhere');
    const all = [...first, ...second].map((e) => e.txId).sort();
    for (const id of c.ids) expect(c.txIds(id).sort()).toEqual(all);
    expectIdenticalHashChains(c);
  });
});
