// The block puller verifies orderer signatures per batch, as Fabric's
// VerifyBlocks: every block's hash chain and data hash, the signature of each
// batch's last block and of every config block (which closes its batch). A
// forged signature on a block inside a batch is not detected, by design (the
// chain makes the closing signature vouch for it); a forged one on a batch's
// closing block is, and nothing of that batch is appended. On both engines and
// on SM2/SM3 chains.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Block } from '../../src/block/index.js';
import { BlockPullError, PULL_BATCH_BLOCKS_MAX, PULL_BATCH_PAUSE_MS, PulledBlockVerifier } from '../../src/catchup/index.js';
import type { Cleanups } from './catchupSupport.js';
import { chainPuller, chainSource, forgeData, forgeSignature, signedChain, type ChainPuller, type SignedChain } from './signedChain.js';

const cleanups: Cleanups = [];
/** Two full batches and a partial one. */
const BLOCKS = 2 * PULL_BATCH_BLOCKS_MAX + 22;

afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The numbers of the blocks whose signature the puller verified, in order (by any verifier: a config block installs a new one). */
function spySignatures(): () => number[] {
  const spy = vi.spyOn(PulledBlockVerifier.prototype, 'verifySignature');
  return () => spy.mock.calls.map(([block]) => block.header.number);
}

function expectLedgerIs(p: ChainPuller, chain: SignedChain, height: number): void {
  expect(p.ledger.height).toBe(height);
  for (let n = 0; n < height; n++) expect(Buffer.from(p.ledger.block(n).bytes).equals(Buffer.from(chain.blocks[n]!)), `block ${n}`).toBe(true);
}

const forgedAt = (n: number, forge: (block: Block) => Block = forgeSignature) => new Map([[n, forge]]);

describe.each([
  { engine: 'native', gm: false },
  { engine: 'native-free', gm: false },
  { engine: 'native', gm: true },
] as const)('block puller: signatures verified per batch ($engine, gm: $gm)', ({ engine, gm }) => {
  it('verifies one signature per batch: the last block of each full batch and the last block of the pull', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS });
    const p = await chainPuller(chain, [chainSource(chain)], cleanups);
    const verified = spySignatures();
    await p.pull();
    expectLedgerIs(p, chain, BLOCKS + 1);
    expect(verified()).toEqual([PULL_BATCH_BLOCKS_MAX, 2 * PULL_BATCH_BLOCKS_MAX, BLOCKS]);
  });

  it('a config block closes its batch: its own signature is verified, the next batch starts after it', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS, configBlocks: [40] });
    const p = await chainPuller(chain, [chainSource(chain)], cleanups);
    const verified = spySignatures();
    await p.pull();
    expectLedgerIs(p, chain, BLOCKS + 1);
    expect(verified()).toEqual([40, 40 + PULL_BATCH_BLOCKS_MAX, BLOCKS]);
  });

  it('a forged signature on a config block inside the range is detected: nothing of its batch is appended', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS, configBlocks: [40] });
    const p = await chainPuller(chain, [chainSource(chain, { tamper: forgedAt(40) })], cleanups);
    await expect(p.pull()).rejects.toThrow(/block 40 from source is not signed by an orderer of the channel \(signature 0: does not verify\); blocks 1\.\.40/);
    expectLedgerIs(p, chain, 1);
  });

  it('a forged signature on a block inside a batch is not detected, by design: the hash chain and the closing signature vouch for the batch', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS });
    const p = await chainPuller(chain, [chainSource(chain, { tamper: forgedAt(30) })], cleanups);
    const verified = spySignatures();
    await p.pull();
    expect(p.ledger.height).toBe(BLOCKS + 1);
    expect(Buffer.from(p.ledger.block(30).bytes).equals(Buffer.from(chain.blocks[30]!))).toBe(false);
    expect(verified()).toEqual([PULL_BATCH_BLOCKS_MAX, 2 * PULL_BATCH_BLOCKS_MAX, BLOCKS]);
  });

  it('a forged signature on a batch’s closing block: nothing of that batch is appended; the next source starts from the last appended block', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS });
    const liar = chainSource(chain, { name: 'liar', tamper: forgedAt(2 * PULL_BATCH_BLOCKS_MAX) });
    const alone = await chainPuller(chain, [liar], cleanups);
    await expect(alone.pull()).rejects.toThrow(
      `blocks ${PULL_BATCH_BLOCKS_MAX + 1}..${2 * PULL_BATCH_BLOCKS_MAX}, which its signature vouches for, are not appended`,
    );
    expectLedgerIs(alone, chain, PULL_BATCH_BLOCKS_MAX + 1);

    let honestFrom: number | undefined;
    const honest = chainSource(chain, { name: 'honest', before: async (n) => void (honestFrom ??= n) });
    const p = await chainPuller(chain, [liar, honest], cleanups);
    await p.pull();
    expectLedgerIs(p, chain, BLOCKS + 1);
    expect(honestFrom).toBe(PULL_BATCH_BLOCKS_MAX + 1);
  });

  it('a forged signature on the last block of the pull: the blocks of its batch are not appended', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS });
    const p = await chainPuller(chain, [chainSource(chain, { tamper: forgedAt(BLOCKS) })], cleanups);
    await expect(p.pull()).rejects.toThrow(`block ${BLOCKS} from source is not signed by an orderer of the channel`);
    expectLedgerIs(p, chain, 2 * PULL_BATCH_BLOCKS_MAX + 1);
  });
});

describe('block puller: where a batch closes besides its bounds', () => {
  it('a block that does not chain is never appended; the blocks before it are, vouched for by the signature of the last of them', async () => {
    const chain = signedChain({ engine: 'native', blocks: BLOCKS });
    const p = await chainPuller(chain, [chainSource(chain, { tamper: forgedAt(PULL_BATCH_BLOCKS_MAX + 6, forgeData) })], cleanups);
    const verified = spySignatures();
    await expect(p.pull()).rejects.toThrow(`block ${PULL_BATCH_BLOCKS_MAX + 6} from source: its data does not hash to the header's data hash`);
    expectLedgerIs(p, chain, PULL_BATCH_BLOCKS_MAX + 6);
    expect(verified()).toEqual([PULL_BATCH_BLOCKS_MAX, PULL_BATCH_BLOCKS_MAX + 5]);
  });

  it('a source ending its stream early: what it sent is verified on its last block and appended, and the pull says where it ended', async () => {
    const chain = signedChain({ engine: 'native', blocks: BLOCKS });
    const p = await chainPuller(chain, [chainSource(chain, { endsAt: 100 })], cleanups);
    const verified = spySignatures();
    await expect(p.pull()).rejects.toThrow(BlockPullError);
    expectLedgerIs(p, chain, 101);
    expect(verified()).toEqual([PULL_BATCH_BLOCKS_MAX, 100]);
  });

  it('a stream that pauses closes the open batch: the blocks received are verified and appended before the source sends more', async () => {
    const chain = signedChain({ engine: 'native', blocks: 30 });
    let p: ChainPuller | undefined;
    let heightAtResume = -1;
    const pausing = chainSource(chain, {
      before: async (n) => {
        if (n !== 11) return;
        // The source stalls after block 10; the batch of blocks 1..10 closes once PULL_BATCH_PAUSE_MS pass without a block.
        p!.clock.advance(PULL_BATCH_PAUSE_MS);
        for (let i = 0; i < 500 && p!.ledger.height < 11; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        heightAtResume = p!.ledger.height;
      },
    });
    p = await chainPuller(chain, [pausing], cleanups);
    const verified = spySignatures();
    await p.pull();
    expectLedgerIs(p, chain, 31);
    expect(heightAtResume).toBe(11);
    expect(verified()).toEqual([10, 30]);
  });

  it('a batch closed by a pause whose signature fails ends the stream at once, though the source stalls: nothing of it is appended', async () => {
    const chain = signedChain({ engine: 'native', blocks: 30 });
    let p: ChainPuller | undefined;
    let abortedWhileStalled = false;
    const stalling = chainSource(chain, {
      tamper: forgedAt(10),
      before: async (n, signal) => {
        if (n !== 11) return;
        p!.clock.advance(PULL_BATCH_PAUSE_MS);
        // Stalls until the stream is aborted (a source that would hold the pull until its idle timeout); a bounded wait, not a timing.
        await new Promise((resolve) => {
          signal.addEventListener('abort', resolve, { once: true });
          setTimeout(resolve, 5000);
        });
        abortedWhileStalled = signal.aborted;
        throw new BlockPullError('stream ended');
      },
    });
    p = await chainPuller(chain, [stalling], cleanups);
    await expect(p.pull()).rejects.toThrow('block 10 from source is not signed by an orderer of the channel (signature 0: does not verify); blocks 1..10');
    expect(abortedWhileStalled).toBe(true);
    expectLedgerIs(p, chain, 1);
  });
});
