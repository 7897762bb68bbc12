// Snapshots: the leader snapshots every snapshotIntervalSizeBytes of blocks
// and compacts its log; a follower too far behind receives a snapshot. Without
// a catch-up hook it keeps voting and forwarding (no crash); with one, it pulls
// the missing blocks and writes the following ones itself.

import { afterEach, describe, expect, it } from 'vitest';
import { readBlockSignatures, decodeBlock } from '../../src/block/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ledgerBlockFromFabric } from '../../src/storage/index.js';
import { CHANNEL, TestCluster } from './harness.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
const options = { snapshotIntervalSizeBytes: 2000, batchSize: { maxMessageCount: 2, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } };
let c: TestCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

/** Orders `count` envelopes through the leader while `lagging` is cut off; returns the leader. */
async function leaveBehind(cluster: TestCluster, lagging: number, count: number): Promise<number> {
  cluster.network.isolate(lagging);
  const leader = cluster.leaderId();
  const others = cluster.ids.filter((id) => id !== lagging);
  await Promise.all(Array.from({ length: count }, () => cluster.chain(leader).submit(cluster.envelope().bytes)));
  await cluster.tickUntil(() => others.every((id) => cluster.txIds(id).length === count), 60, 'blocks on the connected nodes');
  return leader;
}

async function snapshotBlockMetric(cluster: TestCluster, id: number): Promise<number | undefined> {
  return (await cluster.node(id).registry.getSingleMetric('consensus_etcdraft_snapshot_block_number')!.get()).values[0]?.value;
}

describe('chain: snapshots', () => {
  it('a follower that receives a snapshot without a catch-up hook keeps running and forwarding', async () => {
    c = new TestCluster({ options });
    await c.start();
    await c.waitForLeader();
    const lagging = c.ids.find((id) => id !== c!.leaderId())!;
    const leader = await leaveBehind(c, lagging, 16);
    expect(await snapshotBlockMetric(c, leader)).toBeGreaterThan(0);
    expect(c.node(leader).env.channel(CHANNEL).raft.firstIndex()).toBeGreaterThan(1); // compacted
    c.network.heal();
    const laggingRaft = c.node(lagging).env.channel(CHANNEL).raft;
    await c.tickUntil(() => laggingRaft.snapshot().metadata.index > 0, 40, 'the snapshot installed on the lagging node');
    expect(c.chain(lagging).height()).toBe(1); // blocks not pulled: no snapshot catch-up hook here
    const r = await c.chain(lagging).submit(c.envelope().bytes);
    expect(r).toEqual({ status: 'SUCCESS', info: '' });
    await c.tickUntil(() => c!.txIds(leader).length === 17, 30, 'the forwarded envelope ordered');
  });

  it('with a catch-up hook the follower pulls the missing blocks and then writes new ones itself', async () => {
    let source = 0;
    c = new TestCluster({
      options,
      catchUp: (id) => ({
        pullBlocks: async (from, target) => {
          const ledger = c!.node(id).env.channel(CHANNEL).ledger;
          for (let n = from; n <= target.header.number; n++) {
            const bytes = c!.chain(source).block(n);
            const raftIndex = readBlockSignatures(decodeBlock(bytes)).etcdraft!.raftIndex;
            await ledger.append(ledgerBlockFromFabric(new Uint8Array(bytes), sha256, raftIndex));
          }
        },
      }),
    });
    await c.start();
    await c.waitForLeader();
    const lagging = c.ids.find((id) => id !== c!.leaderId())!;
    source = c.leaderId();
    const leader = await leaveBehind(c, lagging, 16);
    c.network.heal();
    await c.tickUntil(() => c!.chain(lagging).height() === c!.chain(leader).height(), 60, 'the lagging node caught up');
    await Promise.all(Array.from({ length: 6 }, () => c!.chain(lagging).submit(c!.envelope().bytes)));
    await c.tickUntil(() => c!.ids.every((id) => c!.txIds(id).length === 22), 60, 'new blocks everywhere');
    for (const id of c.ids) expect(c.txIds(id)).toEqual(c.txIds(leader));
    // The blocks after the catch-up are the lagging node's own writes (its signature).
    const last = decodeBlock(c.chain(lagging).block(c.chain(lagging).height() - 1));
    expect(Buffer.from(readBlockSignatures(last).signedData[0]!.creator).equals(Buffer.from(c.node(lagging).identity.serializedIdentity))).toBe(true);
  });
});
