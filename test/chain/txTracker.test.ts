// The duplicate check's bookkeeping: what counts as in flight, as recently
// committed (a bounded window) or as committed long ago (the ledger's index),
// and the waiters for a tx id's block.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateTxError, duplicateBlockOf, TxTracker } from '../../src/chain/submit/txTracker.js';
import { txIdHash } from '../../src/storage/index.js';

function tracker(ledger: Record<string, number> = {}, recentMax = 3): TxTracker {
  return new TxTracker({ recentMax, waitersMax: 2, ledgerLookup: (txId) => ledger[txId] });
}

describe('TxTracker', () => {
  it('a claimed tx id is a duplicate in flight until its block commits, then a duplicate of that block', () => {
    const t = tracker();
    expect(t.claim('a')).toBeUndefined();
    const inFlight = t.claim('a');
    expect(inFlight).toBeInstanceOf(DuplicateTxError);
    expect(inFlight!.blockNumber).toBeUndefined();
    expect(inFlight!.code).toBe('DUPLICATE_TX');
    t.onCommitted(7, ['a']);
    expect(t.inflightCount).toBe(0);
    expect(t.claim('a')!.message).toBe('duplicate: tx a is already ordered in block 7');
    expect(duplicateBlockOf(t.claim('a')!.message)).toBe(7);
    expect(duplicateBlockOf(inFlight!.message)).toBeUndefined();
  });

  it('released and step-down-released tx ids may be claimed again', () => {
    const t = tracker();
    t.claim('a');
    t.claim('b');
    t.release(['a']);
    expect(t.claim('a')).toBeUndefined();
    t.releaseAll();
    expect(t.claim('b')).toBeUndefined();
  });

  it('the recent window keeps at least the newest recentMax tx ids; older ones are found in the ledger index', () => {
    const t = tracker({ old: 1 });
    t.onCommitted(2, ['a', 'b']);
    t.onCommitted(3, ['c', 'd']);
    expect(t.duplicateOf('b')!.blockNumber).toBe(2);
    expect(t.duplicateOf('d')!.blockNumber).toBe(3);
    t.onCommitted(4, ['e', 'f']);
    t.onCommitted(5, ['g', 'h']);
    expect(t.duplicateOf('a')).toBeUndefined(); // out of the window, and not in this fake ledger
    expect(t.duplicateOf('f')!.blockNumber).toBe(4);
    expect(t.duplicateOf('h')!.blockNumber).toBe(5);
    expect(t.duplicateOf('old')!.blockNumber).toBe(1);
    expect(t.duplicateOf('new')).toBeUndefined();
  });

  it('the window covers the newest recentMax committed tx ids, at the first covered block holding each, and at most twice as many (property)', () => {
    const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(ids, { maxLength: 6 }), { maxLength: 30 }), (recentMax, blocks) => {
        const t = tracker({}, recentMax);
        blocks.forEach((txIds, i) => {
          t.onCommitted(i, txIds);
          const committed = blocks.slice(0, i + 1);
          // Every id with its block, newest last ('' included: it takes room in the window like any id).
          const flat = committed.flatMap((b, n) => b.map((txId): { txId: string; n: number } => ({ txId, n })));
          const newest = flat.slice(-recentMax);
          const largest = Math.max(...committed.map((b) => b.length));
          for (const txId of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
            const found = t.duplicateOf(txId)?.blockNumber;
            const last = flat.map((m) => m.txId).lastIndexOf(txId);
            if (newest.some((m) => m.txId === txId)) expect(found, `${txId} is among the newest ${recentMax}`).toBeDefined();
            if (last < 0 || flat.length - 1 - last >= 2 * Math.max(recentMax, largest)) expect(found, `${txId} is far behind`).toBeUndefined();
            if (found === undefined) continue;
            expect(committed[found] as readonly string[]).toContain(txId);
            // Whole blocks are covered, from the window's oldest on: a first copy at or after the newest ids' first block is the one found.
            const first = committed.findIndex((b) => (b as readonly string[]).includes(txId));
            if (first >= newest[0]!.n) expect(found).toBe(first);
          }
        });
      }),
    );
  });

  it('blocks committed before any duplicate check (a follower) give the newest recentMax tx ids at the first check (property, distinct tx ids)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 25 }), (recentMax, sizes) => {
        const lazy = tracker({}, recentMax);
        const eager = tracker({}, recentMax);
        expect(eager.duplicateOf('-')).toBeUndefined(); // indexes from its first block on
        let seq = 0;
        const all: { txId: string; block: number }[] = [];
        sizes.forEach((size, block) => {
          const txIds = Array.from({ length: size }, () => `tx${seq++}`);
          all.push(...txIds.map((txId) => ({ txId, block })));
          lazy.onCommitted(block, txIds);
          eager.onCommitted(block, txIds);
        });
        const window = all.slice(-recentMax);
        for (const { txId, block } of all) {
          for (const t of [lazy, eager]) {
            const found = t.duplicateOf(txId)?.blockNumber;
            if (window.some((m) => m.txId === txId)) expect(found).toBe(block);
            else expect(found === undefined || found === block).toBe(true);
          }
        }
        // Indexing from then on: later blocks join the window at once.
        lazy.onCommitted(sizes.length, ['late']);
        expect(lazy.duplicateOf('late')?.blockNumber).toBe(sizes.length);
      }),
    );
  });

  it('hashes a claimed tx id once: the ledger is asked with its txIdHash, and its block commit hands the hashes on', () => {
    const asked: [string, number][] = [];
    const t = new TxTracker({
      recentMax: 8,
      waitersMax: 1,
      ledgerLookup: (txId, hash) => {
        asked.push([txId, hash]);
        return undefined;
      },
    });
    expect(t.claim('a')).toBeUndefined();
    expect(asked).toEqual([['a', txIdHash('a')]]);
    // 'a' carried from its claim, 'b' (another leader's) hashed here: the same values either way.
    expect(t.onCommitted(1, ['a', 'b', ''])).toEqual(Int32Array.from([txIdHash('a'), txIdHash('b'), txIdHash('')]));
    expect(t.claim('a')!.blockNumber).toBe(1);
    expect(t.claim('b')!.blockNumber).toBe(1);
  });

  it('a node that has checked no tx id yet (a follower) hashes nothing on commit', () => {
    const t = tracker();
    expect(t.onCommitted(1, ['a', 'b'])).toBeUndefined();
    expect(t.duplicateOf('a')!.blockNumber).toBe(1);
    expect(t.onCommitted(2, ['c'])).toEqual(Int32Array.from([txIdHash('c')]));
  });

  it('a node that has checked no tx id yet keeps only the blocks not yet durable when the ledger answers for the durable ones', () => {
    let durable = 0;
    // The ledger's index as it would be: the durable blocks' ids.
    const ledger: Record<string, number> = {};
    const t = new TxTracker({ recentMax: 100, waitersMax: 1, ledgerLookup: (txId) => ledger[txId], ledgerHeight: () => durable });
    for (let n = 1; n <= 5; n++) t.onCommitted(n, [`tx${n}`]);
    durable = 4; // blocks 1..3 durable
    t.onCommitted(6, ['tx6']);
    // The window no longer holds the durable blocks: a ledger that (here) lacks block 2's id does not find it.
    expect(t.duplicateOf('tx2')).toBeUndefined();
    ledger.tx2 = 2;
    expect(t.duplicateOf('tx2')!.blockNumber).toBe(2);
    // Blocks not yet durable are the window's.
    for (const n of [4, 5, 6]) expect(t.duplicateOf(`tx${n}`)!.blockNumber).toBe(n);
  });

  it('an empty tx id (CONFIG envelopes) is never a duplicate nor claimed', () => {
    const t = tracker();
    expect(t.claim('')).toBeUndefined();
    expect(t.claim('')).toBeUndefined();
    expect(t.inflightCount).toBe(0);
  });

  it('waiters learn the block of their tx id, time out, or are refused past waitersMax', async () => {
    const t = tracker();
    const signal = new AbortController().signal;
    const first = t.waitCommitted('a', 60_000, signal);
    const second = t.waitCommitted('a', 60_000, signal);
    await expect(t.waitCommitted('b', 60_000, signal)).rejects.toThrow(/2 submits already wait/);
    t.onCommitted(4, ['x', 'a']);
    await expect(first).resolves.toBe(4);
    await expect(second).resolves.toBe(4);
    expect(t.waitingCount).toBe(0);
    await expect(t.waitCommitted('c', 5, signal)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/not committed within 5 ms/),
    });
    expect(t.waitingCount).toBe(0);
  });

  it('an aborted wait is refused and forgotten', async () => {
    const t = tracker();
    const abort = new AbortController();
    const waiting = t.waitCommitted('a', 60_000, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow(/closed before its block committed/);
    expect(t.waitingCount).toBe(0);
    await expect(t.waitCommitted('a', 60_000, abort.signal)).rejects.toThrow(/closing/);
  });
});
