// Catch-up through the block puller: a follower left behind a snapshot, or
// whose data directory was wiped, pulls the blocks it lacks from the other
// nodes' ledgers (verified block by block), then writes new blocks itself.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { decodeBlock, encodeBlock, readBlockSignatures, type Block } from '../../src/block/index.js';
import { BlockPuller, BlockPullError, CatchUpMetrics, PulledBlockVerifier, type BlockSource } from '../../src/catchup/index.js';
import { Registry } from 'prom-client';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ledgerBlockFromFabric, openWalEnvironment } from '../../src/storage/index.js';
import { CHANNEL, TestCluster } from '../chain/harness.js';
import { ledgerSource, pullerFor, type PullRecord } from './catchupSupport.js';

const options = { snapshotIntervalSizeBytes: 2000, batchSize: { maxMessageCount: 2, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } };
let c: TestCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

/** Orders `count` envelopes through the leader while `lagging` is cut off or down. */
async function orderWithout(cluster: TestCluster, lagging: number, count: number, already = 0): Promise<number> {
  const leader = cluster.leaderId();
  const others = cluster.ids.filter((id) => id !== lagging);
  await Promise.all(Array.from({ length: count }, () => cluster.chain(leader).submit(cluster.envelope().bytes)));
  await cluster.tickUntil(() => others.every((id) => cluster.txIds(id).length === already + count), 60, 'blocks on the connected nodes');
  return leader;
}

function others(cluster: TestCluster, id: number): number[] {
  return cluster.ids.filter((other) => other !== id);
}

/** A block whose first envelope was replaced: the data hash no longer matches. */
function forgeData(block: Block): Block {
  if (block.data.length === 0) return block;
  const data = [...block.data];
  data[0] = new Uint8Array(data[0]!.length).fill(7);
  return { ...block, data };
}

describe('chain: catch-up through the block puller', () => {
  it('a follower far behind a snapshot pulls the missing blocks, verified, and then writes new ones itself', async () => {
    const records = new Map<number, PullRecord>();
    c = new TestCluster({ options, catchUp: (id) => pullerFor(c!, id, (self) => others(c!, self).map((o) => ledgerSource(c!, o)), records) });
    await c.start();
    await c.waitForLeader();
    const lagging = c.ids.find((id) => id !== c!.leaderId())!;
    c.network.isolate(lagging);
    const leader = await orderWithout(c, lagging, 16);
    expect(c.node(leader).env.channel(CHANNEL).raft.firstIndex()).toBeGreaterThan(1); // the leader compacted: only a snapshot can help
    c.network.heal();
    await c.tickUntil(() => c!.chain(lagging).height() === c!.chain(leader).height(), 60, 'the lagging node caught up');
    const pulled = records.get(lagging)!.pulled;
    expect(pulled.length).toBeGreaterThan(0);
    expect(pulled).toEqual(Array.from({ length: pulled.length }, (_, i) => 1 + i)); // in order from block 1
    await Promise.all(Array.from({ length: 4 }, () => c!.chain(lagging).submit(c!.envelope().bytes)));
    await c.tickUntil(() => c!.ids.every((id) => c!.txIds(id).length === 20), 60, 'new blocks everywhere');
    for (const id of c.ids) expect(c.txIds(id)).toEqual(c.txIds(leader));
    const last = decodeBlock(c.chain(lagging).block(c.chain(lagging).height() - 1));
    expect(Buffer.from(readBlockSignatures(last).signedData[0]!.creator).equals(Buffer.from(c.node(lagging).identity.serializedIdentity))).toBe(true);
  });

  it('a follower restarted far behind (the leader compacted past its log) pulls the missing blocks and rejoins', async () => {
    const records = new Map<number, PullRecord>();
    c = new TestCluster({ options, catchUp: (id) => pullerFor(c!, id, (self) => others(c!, self).map((o) => ledgerSource(c!, o)), records) });
    await c.start();
    await c.waitForLeader();
    const behind = c.ids.find((id) => id !== c!.leaderId())!;
    await orderWithout(c, 0, 4);
    const lastIndexBehind = c.node(behind).env.channel(CHANNEL).raft.lastIndex();
    await c.stop(behind);
    const leader = await orderWithout(c, behind, 16, 4);
    // The leader's log starts past the stopped node's: only a snapshot (then the puller) can bring it back.
    expect(c.node(leader).env.channel(CHANNEL).raft.firstIndex()).toBeGreaterThan(lastIndexBehind + 1);
    await c.restart(behind);
    await c.tickUntil(() => c!.chain(behind).height() === c!.chain(leader).height(), 80, 'the restarted node caught up');
    expect(records.get(behind)!.pulled.length).toBeGreaterThan(0);
    await Promise.all(Array.from({ length: 4 }, () => c!.chain(behind).submit(c!.envelope().bytes)));
    await c.tickUntil(() => c!.ids.every((id) => c!.txIds(id).length === 24), 60, 'new blocks everywhere');
    for (const id of c.ids) expect(c.txIds(id)).toEqual(c.txIds(leader));
  });

  it('a source serving a forged block is left for the next one; the ledger holds only genuine blocks', async () => {
    const records = new Map<number, PullRecord>();
    c = new TestCluster({
      options,
      catchUp: (id) =>
        pullerFor(
          c!,
          id,
          (self) => {
            const [liar, honest] = others(c!, self);
            return [ledgerSource(c!, liar!, forgeData), ledgerSource(c!, honest!)];
          },
          records,
        ),
    });
    await c.start();
    await c.waitForLeader();
    const lagging = c.ids.find((id) => id !== c!.leaderId())!;
    c.network.isolate(lagging);
    const leader = await orderWithout(c, lagging, 16);
    c.network.heal();
    await c.tickUntil(() => c!.chain(lagging).height() === c!.chain(leader).height(), 80, 'the lagging node caught up');
    const liar = others(c, lagging)[0]!;
    expect(records.get(lagging)!.failedSources).toContain(`node ${liar}`);
    expect(c.txIds(lagging)).toEqual(c.txIds(leader));
  });

  it('a node whose data directory was wiped rejoins: genesis, then the pulled blocks, then replication', async () => {
    const records = new Map<number, PullRecord>();
    c = new TestCluster({ options, catchUp: (id) => pullerFor(c!, id, (self) => others(c!, self).map((o) => ledgerSource(c!, o)), records) });
    await c.start();
    await c.waitForLeader();
    const wiped = c.ids.find((id) => id !== c!.leaderId())!;
    await orderWithout(c, 0, 4);
    await c.stop(wiped);
    fs.rmSync(c.node(wiped).dir, { recursive: true, force: true });
    const leader = await orderWithout(c, wiped, 16, 4);
    const termBefore = c.chain(leader).status().raftTerm;
    await c.restart(wiped);
    expect(c.chain(wiped).height()).toBe(1); // genesis only
    await c.tickUntil(() => c!.chain(wiped).height() === c!.chain(leader).height(), 80, 'the wiped node caught up');
    expect(records.get(wiped)!.pulled[0]).toBe(1);
    // The leader forgot the wiped node's match index and sent it the snapshot itself: no election, no other leader.
    await c.waitForLeader();
    expect(c.leaderId()).toBe(leader);
    expect(c.chain(leader).status().raftTerm).toBe(termBefore);
    await Promise.all(Array.from({ length: 4 }, () => c!.chain(leader).submit(c!.envelope().bytes)));
    await c.tickUntil(() => c!.ids.every((id) => c!.txIds(id).length === 24), 60, 'new blocks everywhere');
    for (const id of c.ids) expect(c.txIds(id)).toEqual(c.txIds(leader));
  });

  it('newestBlock answers the highest block that verifies; a forged newest block is ignored', async () => {
    c = new TestCluster({ options });
    await c.start();
    const leader = await c.waitForLeader();
    await orderWithout(c, 0, 6);
    const hasher = createCryptoProvider('native').hasher('sha256');
    const puller = (sources: BlockSource[]): BlockPuller =>
      new BlockPuller({
        channelId: CHANNEL,
        sources,
        verifier: new PulledBlockVerifier({ engine: 'native', hasher, organizations: [c!.org.config] }),
        ledger: c!.node(leader).env.channel(CHANNEL).ledger,
        hasher,
        logger: pino({ level: 'silent' }),
      });
    const height = c.chain(leader).height();
    const [a, b] = others(c, 0);
    expect((await puller([ledgerSource(c, a!), ledgerSource(c, b!)]).newestBlock())?.header.number).toBe(height - 1);
    const forgedHigher: BlockSource = {
      ...ledgerSource(c, a!),
      newest: async () =>
        encodeBlock({
          ...forgeData(decodeBlock(c!.chain(a!).block(height - 1))),
          header: { ...decodeBlock(c!.chain(a!).block(height - 1)).header, number: height + 5 },
        }),
    };
    expect((await puller([forgedHigher, ledgerSource(c, b!)]).newestBlock())?.header.number).toBe(height - 1);

    // Every source is asked at once: one that answers only once the other was asked is not waited for first.
    let secondAsked = false;
    const second: BlockSource = {
      ...ledgerSource(c, b!),
      newest: async () => {
        secondAsked = true;
        return c!.chain(b!).block(height - 2);
      },
    };
    const first: BlockSource = {
      ...ledgerSource(c, a!),
      newest: async () => {
        await Promise.resolve();
        if (!secondAsked) throw new BlockPullError('asked before the other source: sources are asked one after the other');
        return c!.chain(a!).block(height - 1);
      },
    };
    expect((await puller([first, second]).newestBlock())?.header.number).toBe(height - 1);
  });

  it('keeps retrying rounds (capped back-off) until an orderer serves the blocks, counting the failed rounds', async () => {
    c = new TestCluster({ options });
    await c.start();
    const leader = await c.waitForLeader();
    await orderWithout(c, 0, 6);
    const target = decodeBlock(c.chain(leader).block(c.chain(leader).height() - 1));
    const honest = ledgerSource(c, leader);
    let failuresLeft = 3;
    const flaky: BlockSource = {
      ...honest,
      deliver: (...args) => (failuresLeft-- > 0 ? Promise.reject(new BlockPullError('orderer restarting')) : honest.deliver(...args)),
    };
    const hasher = createCryptoProvider('native').hasher('sha256');
    const registry = new Registry();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catchup-retry-'));
    const env = openWalEnvironment({ dir, engine: 'native', logger: pino({ level: 'silent' }) });
    const ledger = env.channel(CHANNEL).ledger;
    await ledger.append(ledgerBlockFromFabric(c.genesis, hasher, 0));
    const puller = new BlockPuller({
      channelId: CHANNEL,
      sources: [flaky],
      ledger,
      hasher,
      logger: pino({ level: 'silent' }),
      verifier: new PulledBlockVerifier({ engine: 'native', hasher, organizations: [c.org.config] }),
      backoffInitialMs: 1,
      backoffMaxMs: 4,
      roundsMax: 50,
      metrics: new CatchUpMetrics(registry, CHANNEL),
    });
    try {
      await puller.pullBlocks(1, target);
      expect(ledger.height).toBe(target.header.number + 1);
      expect((await registry.getSingleMetric('consensus_etcdraft_catchup_failed_rounds')!.get()).values[0]?.value).toBe(3);
    } finally {
      puller.close();
      await env.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
