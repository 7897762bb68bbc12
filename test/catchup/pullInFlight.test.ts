// How far a pull runs ahead of the disk: while a sync is in progress the
// stream goes on reading and verifying, up to APPENDS_IN_FLIGHT_MAX blocks of
// closed batches awaiting durability, so the next sync carries all of them (a
// pull of small blocks is held to that many blocks per sync on a slow disk).
// Nothing is durable, nor counted as pulled, before its sync completes.

import { afterEach, describe, expect, it } from 'vitest';
import { PULL_BATCH_BLOCKS_MAX } from '../../src/catchup/pulledBatches.js';
import type { Cleanups } from './catchupSupport.js';
import { chainPuller, chainSource, signedChain } from './signedChain.js';

const cleanups: Cleanups = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Blocks the puller reads while the ledger's first sync of the pull is held. */
const READ_WHILE_HELD = 8 * PULL_BATCH_BLOCKS_MAX;

describe('blocks in flight during a pull', () => {
  it(`reads ${READ_WHILE_HELD} blocks while one sync is held, then makes them durable in order`, async () => {
    const chain = signedChain({ engine: 'native', blocks: READ_WHILE_HELD + 40 });
    let delivered = 0;
    const source = chainSource(chain, {
      before: async (n) => {
        delivered = n;
      },
    });
    let holding = false;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const syncHook = async (): Promise<void> => {
      if (holding) await held;
    };
    const p = await chainPuller(chain, [source], cleanups, { syncHook });
    cleanups.push(() => release());
    holding = true;
    const pulled = p.pull();
    // The held sync carries the first batch; the stream goes on while it is held, until it stops (1,000 event-loop turns without a block).
    for (let idle = 0, last = 0; delivered <= READ_WHILE_HELD && idle < 1000; idle = delivered === last ? idle + 1 : 0, last = delivered) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(delivered).toBeGreaterThan(READ_WHILE_HELD);
    expect(p.ledger.height).toBe(1);
    holding = false;
    release();
    await pulled;
    expect(p.ledger.height).toBe(chain.blocks.length);
    for (let n = 0; n < chain.blocks.length; n++) expect(Buffer.from(p.ledger.block(n).bytes).equals(Buffer.from(chain.blocks[n]!)), `block ${n}`).toBe(true);
  });
});
