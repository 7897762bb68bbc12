// Block 0 read on its own from another orderer (eviction suspicion on a
// channel whose only config block is its genesis block): no orderer signs a
// genesis block, so it is taken only when it is this node's own block 0. Before,
// such a channel could never read its latest config block, and warned so every
// suspicion period.

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock, type Block } from '../../src/block/index.js';
import { BlockPuller, PulledBlockVerifier, type BlockSource } from '../../src/catchup/index.js';
import { EvictionSuspector } from '../../src/chain/liveness/evictionSuspicion.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { BlockPullError } from '../../src/catchup/index.js';
import { CHANNEL, ConfigCluster } from '../chain/configCluster.js';

const logger = pino({ level: 'silent' });
let c: ConfigCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

/** Node `id`'s puller over `sources`, verifying with the channel's orderer organization. */
function pullerOf(cluster: ConfigCluster, id: number, sources: BlockSource[]): BlockPuller {
  const hasher = createCryptoProvider('native').hasher('sha256');
  const organizations = cluster.options(id, [1, 2, 3]).organizations!;
  return new BlockPuller({
    channelId: CHANNEL,
    sources,
    verifier: new PulledBlockVerifier({ engine: 'native', hasher, organizations, ordererMspIds: [cluster.channel.ordererOrg.mspId] }),
    ledger: cluster.nodes.get(id)!.env.channel(CHANNEL).ledger,
    hasher,
    logger,
  });
}

/** Node `other`'s ledger as another orderer serves it over Deliver, each block through `forge`. */
function sourceOf(cluster: ConfigCluster, other: number, forge: (block: Block) => Block = (b) => b): BlockSource {
  const served = (n: number): Uint8Array => encodeBlock(forge(decodeBlock(cluster.chain(other).block(n))));
  return {
    name: `node ${other}`,
    newest: async () => served(cluster.chain(other).height() - 1),
    deliver: async (_channelId, fromNumber, toNumber, onBlock) => {
      for (let n = fromNumber; n <= toNumber; n++) {
        if (n >= cluster.chain(other).height()) throw new BlockPullError(`node ${other} has no block ${n}`);
        await onBlock(served(n));
      }
    },
  };
}

describe('block 0 read on its own', () => {
  it("is this node's own genesis block or refused; eviction suspicion of a genesis-only channel concludes", async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    expect(c.chain(1).height()).toBe(1);
    const honest = [sourceOf(c, 2), sourceOf(c, 3)];
    const puller = pullerOf(c, 1, honest);
    expect((await puller.newestBlock())?.header.number).toBe(0);
    expect((await puller.blockAt(0))?.header.number).toBe(0);

    // Another genesis block (header differs), or this one with other data: neither is taken.
    const otherHeader = (b: Block): Block => ({ ...b, header: { ...b.header, previousHash: new Uint8Array(32).fill(1) } });
    const otherData = (b: Block): Block => ({ ...b, data: [new Uint8Array(b.data[0]!.length).fill(7)] });
    for (const forge of [otherHeader, otherData]) {
      const forged = pullerOf(c, 1, [sourceOf(c, 2, forge)]);
      expect(await forged.newestBlock()).toBeUndefined();
      expect(await forged.blockAt(0)).toBeUndefined();
    }

    const suspector = new EvictionSuspector({
      selfId: 1,
      evictionSuspicionMs: 1000,
      source: { newestBlock: () => puller.newestBlock(), blockAt: (n) => puller.blockAt(n) },
      logger,
      onEvicted: (reason) => expect.fail(`evicted: ${reason}`),
      onReadded: (reason) => expect.fail(`re-added: ${reason}`),
    });
    expect(await suspector.check()).toMatchObject({ kind: 'member', configBlock: 0, newestBlock: 0 });
  }, 60_000);
});
