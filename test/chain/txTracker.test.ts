// The duplicate check's bookkeeping: what counts as in flight, as recently
// committed (a bounded window) or as committed long ago (the ledger's index),
// and the waiters for a tx id's block.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateTxError, duplicateBlockOf, TxTracker } from '../../src/chain/submit/txTracker.js';

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

  it('the recent window keeps the newest recentMax tx ids; older ones are found in the ledger index', () => {
    const t = tracker({ old: 1 });
    t.onCommitted(2, ['a', 'b']);
    t.onCommitted(3, ['c', 'd']);
    expect(t.duplicateOf('a')).toBeUndefined(); // evicted, and not in this fake ledger
    expect(t.duplicateOf('b')!.blockNumber).toBe(2);
    expect(t.duplicateOf('d')!.blockNumber).toBe(3);
    expect(t.duplicateOf('old')!.blockNumber).toBe(1);
    expect(t.duplicateOf('new')).toBeUndefined();
  });

  it('the window is the newest recentMax distinct committed tx ids, first block kept (property, against a naive model)', () => {
    const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(ids, { maxLength: 6 }), { maxLength: 30 }), (recentMax, blocks) => {
        const t = tracker({}, recentMax);
        // The model: distinct tx ids in first-commit order, the newest recentMax kept.
        let model: { txId: string; block: number }[] = [];
        blocks.forEach((txIds, i) => {
          t.onCommitted(i, txIds);
          for (const txId of txIds) {
            if (txId === '' || model.some((m) => m.txId === txId)) continue;
            model.push({ txId, block: i });
            if (model.length > recentMax) model = model.slice(1);
          }
          for (const txId of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
            expect(t.duplicateOf(txId)?.blockNumber).toBe(model.find((m) => m.txId === txId)?.block);
          }
        });
      }),
    );
  });

  it('blocks committed before any duplicate check (a follower) give the same window at the first check (property, distinct tx ids)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 25 }), (recentMax, sizes) => {
        const lazy = tracker({}, recentMax);
        const eager = tracker({}, recentMax);
        expect(eager.duplicateOf('-')).toBeUndefined(); // indexes from its first block on
        let seq = 0;
        const all: string[] = [];
        sizes.forEach((size, block) => {
          const txIds = Array.from({ length: size }, () => `tx${seq++}`);
          all.push(...txIds);
          lazy.onCommitted(block, txIds);
          eager.onCommitted(block, txIds);
        });
        const window = all.slice(-recentMax);
        for (const txId of all) {
          expect(lazy.duplicateOf(txId)?.blockNumber).toBe(eager.duplicateOf(txId)?.blockNumber);
          expect(lazy.duplicateOf(txId) !== undefined).toBe(window.includes(txId));
        }
        // Indexing from then on: later blocks join the window at once.
        lazy.onCommitted(sizes.length, ['late']);
        expect(lazy.duplicateOf('late')?.blockNumber).toBe(sizes.length);
      }),
    );
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
