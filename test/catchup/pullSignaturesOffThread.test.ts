// The block puller verifies pulled blocks' orderer signatures off the main
// thread, many at once (node:crypto on libuv's thread pool), while the next
// blocks are read; it still appends only verified blocks, in order: a block
// whose signature does not verify is never appended, nor any block after it,
// and the next source continues from the last verified, durable block.

import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBlock, decodeMetadata, encodeMetadata, type Block } from '../../src/block/index.js';
import { BlockPuller, PulledBlockVerifier, type BlockSource } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { WalEnvironment } from '../../src/storage/index.js';
import { CHANNEL, type TestCluster } from '../chain/harness.js';
import { chainOfManyBlocks, freshLedger, ledgerSource } from './catchupSupport.js';

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });
const sha256 = createCryptoProvider('native').hasher('sha256');
const p256 = createCryptoProvider('native').verifier('ecdsa-p256');
const cleanups: (() => Promise<void> | void)[] = [];
const BLOCKS = 20;
/** The block whose signature the lying source breaks. */
const FORGED = 7;

afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A cluster whose node 1 holds at least BLOCKS blocks after genesis. */
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

/** Block FORGED with the last byte of its orderer signature flipped: hash chain and data hash intact, the signature wrong. */
function breakSignature(block: Block): Block {
  if (block.header.number !== FORGED) return block;
  const signatures = decodeMetadata(block.metadata[0]!);
  const [first, ...rest] = signatures.signatures;
  const signature = Uint8Array.from(first!.signature);
  signature[signature.length - 1]! ^= 1;
  const metadata = [...block.metadata];
  metadata[0] = encodeMetadata({ ...signatures, signatures: [{ ...first!, signature }, ...rest] });
  return { ...block, metadata };
}

describe('block puller: orderer signatures verified off the main thread', () => {
  it('verifies the pulled blocks’ signatures on the thread pool, several at once, and appends exactly the source chain', async () => {
    const c = await chainOfManyBlocks(cleanups, BLOCKS, 1);
    const env = await freshLedger(c, cleanups, 'pull-signatures-');
    const verifyOffThread = p256.verifyOffThread!.bind(p256);
    let inFlight = 0;
    let inFlightMax = 0;
    const offThread = vi.spyOn(p256, 'verifyOffThread').mockImplementation(async (key, message, signature) => {
      inFlightMax = Math.max(inFlightMax, ++inFlight);
      try {
        return await verifyOffThread(key, message, signature);
      } finally {
        inFlight--;
      }
    });
    const height = c.chain(1).height();
    await pullerOf(c, env, [ledgerSource(c, 1)]).pullBlocks(1, decodeBlock(c.chain(1).block(height - 1)));
    const ledger = env.channel(CHANNEL).ledger;
    expect(ledger.height).toBe(height);
    for (let n = 0; n < height; n++) expect(Buffer.from(ledger.block(n).bytes).equals(Buffer.from(c.chain(1).block(n))), `block ${n}`).toBe(true);
    expect(offThread).toHaveBeenCalledTimes(height - 1);
    expect(inFlightMax).toBeGreaterThan(1);
  });

  it('a block whose signature does not verify is not appended, nor any after it; the next source continues from the block before it', async () => {
    const c = await chainOfManyBlocks(cleanups, BLOCKS, 1);
    const env = await freshLedger(c, cleanups, 'pull-signatures-');
    const ledger = env.channel(CHANNEL).ledger;
    const height = c.chain(3).height();
    const warn = vi.spyOn(logger, 'warn');
    await pullerOf(c, env, [ledgerSource(c, 2, breakSignature), ledgerSource(c, 3)]).pullBlocks(1, decodeBlock(c.chain(3).block(height - 1)));
    expect(JSON.stringify(warn.mock.calls)).toContain(`block ${FORGED} from node 2 is not signed by an orderer of the channel (signature 0: does not verify)`);
    expect(ledger.height).toBe(height);
    // Blocks 1..FORGED-1 as node 2 signed them (verified, appended), the forged one and every later one as node 3 did.
    for (let n = 0; n < height; n++) {
      const served = n >= 1 && n < FORGED ? c.chain(2).block(n) : c.chain(3).block(n);
      expect(Buffer.from(ledger.block(n).bytes).equals(Buffer.from(served)), `block ${n}`).toBe(true);
    }
  });
});
