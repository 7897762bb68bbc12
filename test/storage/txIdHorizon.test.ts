import { describe, expect, it } from 'vitest';
import { TxIdHorizon, type TxIdHorizonSettings } from '../../src/storage/txIdHorizon.js';
import { capturingLogger } from './helpers.js';

/** A deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A ledger whose block n holds `sizes[n]` unique tx ids `tx-n-i`. */
function ledgerOf(sizes: readonly number[]): string[][] {
  return sizes.map((size, n) => Array.from({ length: size }, (_, i) => `tx-${n}-${i}`));
}

function emptyHorizon(settings: TxIdHorizonSettings): TxIdHorizon {
  return TxIdHorizon.build('ch', 0, () => [], settings);
}

/**
 * What a horizon must give after every block: the newest `txIdsMax` tx ids
 * found where they are, exactly the blocks from coverage.oldestBlock on
 * covered, at most 2 × txIdsMax ids, tables within 2 × 2 × txIdsMax slots.
 */
function expectHorizon(horizon: TxIdHorizon, blocks: readonly string[][], txIdsMax: number): void {
  const txIdsOf = (n: number): string[] => blocks[n]!;
  const coverage = horizon.coverage!;
  let newer = 0;
  // Blocks far below the oldest covered one are checked by the first tests; here the few next to it.
  for (let n = blocks.length - 1; n >= Math.max(0, coverage.oldestBlock - 3); n--) {
    const ids = blocks[n]!;
    const covered = n >= coverage.oldestBlock;
    if (newer < txIdsMax) expect(covered, `block ${n} holds some of the newest ${txIdsMax} ids`).toBe(true);
    for (let i = 0; i < ids.length; i++) {
      expect(horizon.locate(ids[i]!, txIdsOf), `${ids[i]} (block ${n})`).toEqual(covered ? { blockNumber: n, position: i } : undefined);
    }
    newer += ids.length;
  }
  const coveredIds = blocks.slice(coverage.oldestBlock).reduce((sum, ids) => sum + ids.length, 0);
  expect(coverage.txIds).toBe(coveredIds);
  expect(coveredIds).toBeLessThanOrEqual(2 * txIdsMax);
  const slots = Math.max(1024, 2 ** Math.ceil(Math.log2(2 * txIdsMax)));
  expect(horizon.bytes).toBeLessThanOrEqual(2 * slots * 8);
}

describe('TxIdHorizon', () => {
  it('finds the id N-1 back and not one older than 2N, one id per block', () => {
    const n = 8;
    const blocks = ledgerOf(Array.from({ length: 100 }, () => 1));
    const horizon = emptyHorizon({ txIdsMax: n });
    blocks.forEach((ids, number) => horizon.add(number, ids));
    const txIdsOf = (b: number): string[] => blocks[b]!;
    expect(horizon.locate(`tx-${99 - (n - 1)}-0`, txIdsOf)).toEqual({ blockNumber: 99 - (n - 1), position: 0 });
    expect(horizon.locate(`tx-${99 - 2 * n}-0`, txIdsOf)).toBeUndefined();
    expect(horizon.locate('tx-0-0', txIdsOf)).toBeUndefined();
    expectHorizon(horizon, blocks, n);
  });

  it('rotates generations: covers between N and 2N ids as blocks of any size commit', () => {
    for (const seed of [1, 2, 3]) {
      const random = lcg(seed);
      const txIdsMax = 16 + Math.floor(random() * 48);
      const blocks = ledgerOf(Array.from({ length: 120 }, () => 1 + Math.floor(random() * 12)));
      const horizon = emptyHorizon({ txIdsMax });
      for (let n = 0; n < blocks.length; n++) {
        horizon.add(n, blocks[n]!);
        expectHorizon(horizon, blocks.slice(0, n + 1), txIdsMax);
      }
      expect(horizon.coverage!.oldestBlock).toBeGreaterThan(0);
    }
  });

  it('tells collisions from hits across both generations and forgets the dropped one', () => {
    const blocks = ledgerOf(Array.from({ length: 40 }, () => 3));
    const horizon = emptyHorizon({ txIdsMax: 12, hash: () => 42 });
    blocks.forEach((ids, number) => horizon.add(number, ids));
    // Every id shares one hash: each lookup reads the covered blocks and finds only the right one.
    expectHorizon(horizon, blocks, 12);
    expect(horizon.locate('never-committed', (n) => blocks[n]!)).toBeUndefined();
    expect(horizon.coverage!.oldestBlock).toBeGreaterThanOrEqual(40 - 8);
  });

  it('skips a block it has already (a build that read it as it became durable, before its commit was reported)', () => {
    const blocks = ledgerOf([2, 2, 2, 2]);
    const horizon = TxIdHorizon.build('ch', 3, (n) => blocks[n]!, { txIdsMax: 4 });
    horizon.add(2, blocks[2]!);
    expect(horizon.coverage).toEqual({ oldestBlock: 1, txIds: 4 });
    horizon.add(3, blocks[3]!);
    expectHorizon(horizon, blocks, 4);
  });

  it('names the first occurrence of a tx id within the horizon', () => {
    const blocks = [['a', 'b'], ['c'], ['b', 'd'], ['b']];
    const horizon = emptyHorizon({ txIdsMax: 100 });
    blocks.forEach((ids, number) => horizon.add(number, ids));
    expect(horizon.locate('b', (n) => blocks[n]!)).toEqual({ blockNumber: 0, position: 1 });
  });

  it('builds from the end backwards, reading only the blocks of the horizon, and covers what the live one guarantees', () => {
    for (const seed of [4, 5, 6]) {
      const random = lcg(seed);
      const txIdsMax = 20 + Math.floor(random() * 40);
      const blocks = ledgerOf(Array.from({ length: 200 }, () => 1 + Math.floor(random() * 10)));
      const live = emptyHorizon({ txIdsMax });
      blocks.forEach((ids, number) => live.add(number, ids));
      const reads: number[] = [];
      const rebuilt = TxIdHorizon.build(
        'ch',
        blocks.length,
        (n) => {
          reads.push(n);
          return blocks[n]!;
        },
        { txIdsMax },
      );
      expect(reads).toEqual(Array.from({ length: reads.length }, (_, i) => blocks.length - 1 - i));
      expect(Math.min(...reads)).toBe(rebuilt.coverage!.oldestBlock);
      expect(rebuilt.coverage!.oldestBlock).toBeGreaterThanOrEqual(live.coverage!.oldestBlock);
      expectHorizon(rebuilt, blocks, txIdsMax);
      // And it rotates on from there as a live one does.
      const all = ledgerOf([...blocks.map((ids) => ids.length), ...Array.from({ length: 60 }, () => 1 + Math.floor(random() * 10))]);
      for (let n = blocks.length; n < all.length; n++) {
        rebuilt.add(n, all[n]!);
        expectHorizon(rebuilt, all.slice(0, n + 1), txIdsMax);
      }
    }
  });

  it('covers the whole ledger when it holds fewer ids than the horizon, and logs its first build', () => {
    const blocks = ledgerOf([2, 3, 1]);
    const { logger, lines } = capturingLogger();
    const horizon = TxIdHorizon.build('ch', blocks.length, (n) => blocks[n]!, { txIdsMax: 100, logger });
    expect(horizon.coverage).toEqual({ oldestBlock: 0, txIds: 6 });
    expectHorizon(horizon, blocks, 100);
    expect(lines).toEqual([expect.objectContaining({ channel: 'ch', txIdHorizon: 100, height: 3, oldestBlock: 0, txIds: 6 })]);
    expect(emptyHorizon({ txIdsMax: 100 }).coverage).toBeUndefined();
  });

  it('keeps its tables once both generations reached their size (memory flat while blocks commit)', () => {
    const horizon = emptyHorizon({ txIdsMax: 4096 });
    let n = 0;
    const fill = (ids: number): void => {
      for (let i = 0; i < ids; i += 64, n++)
        horizon.add(
          n,
          Array.from({ length: 64 }, (_, j) => `tx-${n}-${j}`),
        );
    };
    fill(3 * 4096);
    const bytes = horizon.bytes;
    expect(bytes).toBe(2 * 2 * 8192 * 4);
    fill(20 * 4096);
    expect(horizon.bytes).toBe(bytes);
  });
});
