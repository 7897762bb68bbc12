// The block puller shares syncs between pulled blocks: a fresh ledger pulling
// a chain of many blocks from another node's ledger, on a disk whose every
// sync takes a while, needs far fewer syncs than blocks (a rejoining node is
// not held to one block per sync), and ends with exactly the source's blocks.
// A source that fails after some blocks leaves only durable, verified blocks,
// and the next source continues from there.

import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock } from '../../src/block/index.js';
import { BlockPuller, BlockPullError, PulledBlockVerifier, type BlockSource } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { WalEnvironment } from '../../src/storage/index.js';
import { CHANNEL, type TestCluster } from '../chain/harness.js';
import { chainOfManyBlocks, freshLedger, ledgerSource } from './catchupSupport.js';

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });
const sha256 = createCryptoProvider('native').hasher('sha256');
const cleanups: (() => Promise<void> | void)[] = [];
const BLOCKS = 30;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A cluster whose node 1 holds at least BLOCKS blocks after genesis. */
/** A fresh ledger (genesis only) whose every sync takes 20 ms and is counted. */
async function slowDiskLedger(c: TestCluster): Promise<{ env: WalEnvironment; syncs: () => number }> {
  let syncs = 0;
  const syncHook = async (): Promise<void> => {
    syncs++;
    await sleep(20);
  };
  const env = await freshLedger(c, cleanups, 'pull-syncs-', { syncHook });
  return { env, syncs: () => syncs };
}

function pullerOf(c: TestCluster, env: WalEnvironment, sources: BlockSource[]): BlockPuller {
  return new BlockPuller({
    channelId: CHANNEL,
    sources,
    verifier: new PulledBlockVerifier({ engine: 'native', hasher: sha256, organizations: [c.org.config] }),
    ledger: env.channel(CHANNEL).ledger,
    hasher: sha256,
    logger,
    roundsMax: 1,
  });
}

describe('block puller on a slow disk', () => {
  it('pulls many blocks with far fewer syncs than blocks, ending with exactly the source chain', async () => {
    const c = await chainOfManyBlocks(cleanups, BLOCKS, 2);
    const { env, syncs } = await slowDiskLedger(c);
    const before = syncs();
    const height = c.chain(1).height();
    await pullerOf(c, env, [ledgerSource(c, 1)]).pullBlocks(1, decodeBlock(c.chain(1).block(height - 1)));
    const ledger = env.channel(CHANNEL).ledger;
    expect(ledger.height).toBe(height);
    for (let n = 0; n < height; n++) expect(Buffer.from(ledger.block(n).bytes).equals(Buffer.from(c.chain(1).block(n)))).toBe(true);
    expect(syncs() - before).toBeLessThan((height - 1) / 3);
  });

  it('a source failing mid-range leaves only durable blocks; the next source continues from the durable tip', async () => {
    const c = await chainOfManyBlocks(cleanups, BLOCKS, 2);
    const { env } = await slowDiskLedger(c);
    const height = c.chain(1).height();
    const good = ledgerSource(c, 2);
    const failing: BlockSource = {
      ...good,
      name: 'failing',
      async deliver(channelId, fromNumber, toNumber, onBlock, signal) {
        await good.deliver(channelId, fromNumber, Math.min(toNumber, fromNumber + 9), onBlock, signal);
        throw new BlockPullError('failing source: stream broken');
      },
    };
    const puller = new BlockPuller({
      channelId: CHANNEL,
      sources: [failing, ledgerSource(c, 3)],
      verifier: new PulledBlockVerifier({ engine: 'native', hasher: sha256, organizations: [c.org.config] }),
      ledger: env.channel(CHANNEL).ledger,
      hasher: sha256,
      logger,
      roundsMax: 1,
    });
    await puller.pullBlocks(1, decodeBlock(c.chain(3).block(height - 1)));
    const ledger = env.channel(CHANNEL).ledger;
    expect(ledger.height).toBe(height);
    // Blocks 1..10 as node 2 signed them, the rest as node 3 did: the same headers as every node's.
    for (let n = 0; n < height; n++) {
      const served = n >= 1 && n <= 10 ? c.chain(2).block(n) : c.chain(3).block(n);
      expect(Buffer.from(ledger.block(n).bytes).equals(Buffer.from(served)), `block ${n}`).toBe(true);
    }
  });
});
