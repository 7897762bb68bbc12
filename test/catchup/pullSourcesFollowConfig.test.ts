// The orderers a node pulls from follow the channel's config, as Fabric builds
// its block puller from the current config at each catch-up: once the ledger
// holds a config block later than the config the puller started with, the
// orderers that block names replace the puller's sources from the next pull
// on; a config block naming none keeps them. The real mapping, a config
// block's endpoints to Deliver sources, leaves out this node's own address.

import { afterEach, describe, expect, it } from 'vitest';
import { buildGenesisBlock, decodeBlock, encodeBlock } from '../../src/block/index.js';
import { deliverEndpointsOf, deliverSourcesOf, type BlockSource } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { makeTestChannel } from '../block/configtx/helpers.js';
import { TestCluster } from '../chain/harness.js';
import type { Cleanups } from './catchupSupport.js';
import { chainPuller, chainSource, signedChain, type SignedChain } from './signedChain.js';

const cleanups: Cleanups = [];
const CONFIG = 40;
const BLOCKS = 100;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A source serving `chain` that records the first block of each request and whether it was closed. */
function recordingSource(chain: SignedChain, name: string): BlockSource & { readonly asked: number[]; closed: boolean } {
  const inner = chainSource(chain, { name });
  const source = {
    name,
    asked: [] as number[],
    closed: false,
    deliver: (channelId: string, from: number, to: number, onBlock: (bytes: Uint8Array) => Promise<void>, signal: AbortSignal) => {
      source.asked.push(from);
      return inner.deliver(channelId, from, to, onBlock, signal);
    },
    newest: (channelId: string, signal: AbortSignal) => inner.newest(channelId, signal),
    close: () => {
      source.closed = true;
    },
  };
  return source;
}

describe('block puller: the orderers it pulls from follow the config', () => {
  const chain = () => signedChain({ engine: 'native', blocks: BLOCKS, configBlocks: [CONFIG] });

  it('after a config block, the next pull reads from the orderers that block names; the replaced ones close with the puller', async () => {
    const c = chain();
    const before = recordingSource(c, 'named by block 0');
    const after = recordingSource(c, 'named by block 40');
    const seen: number[] = [];
    const p = await chainPuller(c, [before], cleanups, {}, (configBlock) => {
      seen.push(decodeBlock(configBlock).header.number);
      return [after];
    });
    await p.pull(CONFIG + 20);
    expect(before.asked).toEqual([1]);
    expect(after.asked).toEqual([]);
    await p.puller.pullBlocks(CONFIG + 21, decodeBlock(c.blocks[BLOCKS]!));
    expect(seen).toEqual([CONFIG]);
    expect(before.asked).toEqual([1]);
    expect(after.asked).toEqual([CONFIG + 21]);
    expect(p.ledger.height).toBe(BLOCKS + 1);
    p.puller.close();
    expect([before.closed, after.closed]).toEqual([true, true]);
  });

  it('a config block that names no orderer keeps the orderers known before it', async () => {
    const c = chain();
    const before = recordingSource(c, 'named by block 0');
    const p = await chainPuller(c, [before], cleanups, {}, () => undefined);
    await p.pull(CONFIG + 20);
    await p.puller.pullBlocks(CONFIG + 21, decodeBlock(c.blocks[BLOCKS]!));
    expect(before.asked).toEqual([1, CONFIG + 21]);
  });
});

describe('deliverSourcesOf', () => {
  it("gives a Deliver source for each endpoint a config block names, this node's own left out", async () => {
    const channel = makeTestChannel('ecdsa-p256', 'moved');
    const values = {
      ...channel.values,
      organizations: channel.values.organizations.map((o) =>
        o.mspId === 'OrdererMSP' ? { ...o, ordererEndpoints: ['10.0.0.1:7050', '10.0.0.2:7050', '10.0.0.3:7050'] } : o,
      ),
    };
    const endpoints = deliverEndpointsOf(encodeBlock(buildGenesisBlock(values, createCryptoProvider('native').hasher('sha256'))))!;
    const plain = new TestCluster();
    const sources = deliverSourcesOf(endpoints, { selfAddress: '10.0.0.2:7050', creator: plain.client, tls: undefined });
    expect(sources.map((s) => s.name)).toEqual(['orderer (10.0.0.1:7050)', 'orderer (10.0.0.3:7050)']);
    for (const source of sources) source.close?.();
    await plain.close();
  });
});
