import { describe, expect, it } from 'vitest';
import { LmdbTxIndex, type TxIdSource } from '../../src/storage/lmdbTxIndex.js';
import { TxIdHashes, txIdHash } from '../../src/storage/txIdHashes.js';
import type { WalOp } from '../../src/storage/walOps.js';

/** A committed block op as the index reads it: number and tx ids. */
const blockOp = (number: number, txIds: string[]): WalOp => ({ kind: 'block', channel: 'ch', block: { number, txIds } }) as unknown as WalOp;

/** A ledger of blocks given as their tx ids, numbered from 0. */
function source(blocks: string[][], reads: number[] = []): TxIdSource {
  return {
    height: () => blocks.length,
    txIdsOf: (number) => {
      reads.push(number);
      return blocks[number]!;
    },
  };
}

const blocksOf = (table: TxIdHashes, txId: string, hash = txIdHash): number[] => {
  const found: number[] = [];
  table.collect(hash(txId), found);
  return found.sort((a, b) => a - b);
};

describe('TxIdHashes', () => {
  it('names every block holding a tx id across growth of the table', () => {
    const hashes = new TxIdHashes();
    for (let block = 0; block < 40; block++)
      hashes.add(
        block,
        Array.from({ length: 100 }, (_, i) => `tx-${block}-${i}`),
        txIdHash,
      );
    hashes.add(40, ['tx-3-7', 'again', 'again'], txIdHash);
    expect(hashes.size).toBe(4002);
    expect(blocksOf(hashes, 'tx-3-7')).toEqual([3, 40]);
    expect(blocksOf(hashes, 'tx-39-99')).toContain(39);
    expect(blocksOf(hashes, 'again')).toContain(40);
    expect(hashes.lowestBlock).toBe(0);
  });

  it('keeps one pair per block and hash, and gives colliding ids every block of their hash', () => {
    const hashes = new TxIdHashes();
    const seven = (): number => 7;
    hashes.add(0, ['a', 'b', 'a'], seven);
    hashes.add(1, ['c'], seven);
    expect(hashes.size).toBe(2);
    expect(blocksOf(hashes, 'zzz', seven)).toEqual([0, 1]);
  });

  it('holds block numbers past 32 bits as offsets from its first block, in either direction, and refuses one too far', () => {
    const hashes = new TxIdHashes();
    const big = 2 ** 40;
    hashes.add(big, ['a'], txIdHash);
    hashes.add(big - 5, ['b'], txIdHash);
    hashes.add(big + 2 ** 31 - 2, ['c'], txIdHash);
    expect(blocksOf(hashes, 'a')).toEqual([big]);
    expect(blocksOf(hashes, 'b')).toEqual([big - 5]);
    expect(blocksOf(hashes, 'c')).toEqual([big + 2 ** 31 - 2]);
    expect(hashes.lowestBlock).toBe(big - 5);
    expect(hashes.fits(big + 2 ** 31 + 5)).toBe(false);
    expect(() => hashes.add(big + 2 ** 31 + 5, ['d'], txIdHash)).toThrow(RangeError);
  });

  it('forgets everything when cleared but keeps its size', () => {
    const hashes = new TxIdHashes();
    hashes.add(
      0,
      Array.from({ length: 5000 }, (_, i) => `tx-${i}`),
      txIdHash,
    );
    const bytes = hashes.bytes;
    hashes.clear();
    expect(hashes.size).toBe(0);
    expect(hashes.lowestBlock).toBeUndefined();
    expect(blocksOf(hashes, 'tx-1')).toEqual([]);
    expect(hashes.bytes).toBe(bytes);
    hashes.add(9, ['tx-1'], txIdHash);
    expect(blocksOf(hashes, 'tx-1')).toEqual([9]);
  });

  it('hashes the whole id', () => {
    expect(txIdHash('a'.repeat(64))).not.toBe(txIdHash(`${'a'.repeat(63)}b`));
    expect(txIdHash(`b${'a'.repeat(63)}`)).not.toBe(txIdHash('a'.repeat(64)));
  });
});

describe('LmdbTxIndex', () => {
  const settings = { txIdsMax: 1 << 20 };

  it('locates the first occurrence of a tx id by reading only the blocks its hash names', () => {
    const reads: number[] = [];
    const ledger = source([['a', 'b'], ['c', 'a'], ['d']], reads);
    const index = new LmdbTxIndex(settings);
    expect(index.locate('ch', 'a', ledger)).toEqual({ blockNumber: 0, position: 0 });
    expect(index.locate('ch', 'c', ledger)).toEqual({ blockNumber: 1, position: 0 });
    reads.length = 0;
    expect(index.locate('ch', 'new', ledger)).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('tells a hash collision from a hit: an id whose hash another id shares is not found', () => {
    const reads: number[] = [];
    const ledger = source([['a', 'b'], ['c']], reads);
    const index = new LmdbTxIndex({ ...settings, hash: () => 1 });
    expect(index.locate('ch', 'c', ledger)).toEqual({ blockNumber: 1, position: 0 });
    expect(index.locate('ch', 'b', ledger)).toEqual({ blockNumber: 0, position: 1 });
    expect(index.locate('ch', 'x', ledger)).toBeUndefined();
    expect(reads).toContain(0);
  });

  it('adds committed blocks to a built index and forgets a fully dropped channel', () => {
    const blocks = [['a']];
    const ledger = source(blocks);
    const index = new LmdbTxIndex(settings);
    expect(index.locate('ch', 'b', ledger)).toBeUndefined();
    blocks.push(['b']);
    index.committed([blockOp(1, ['b'])]);
    expect(index.locate('ch', 'b', ledger)).toEqual({ blockNumber: 1, position: 0 });
    expect(index.coverage()).toEqual(new Map([['ch', { oldestBlock: 0, txIds: 2 }]]));
    index.committed([{ kind: 'dropChannel', channel: 'ch', keepLedger: false }]);
    expect(index.coverage().size).toBe(0);
    blocks.splice(0, 2, ['z']);
    expect(index.locate('ch', 'b', ledger)).toBeUndefined();
    expect(index.locate('ch', 'z', ledger)).toEqual({ blockNumber: 0, position: 0 });
  });

  it('builds from the end of the ledger, reading only the blocks of its horizon', () => {
    const reads: number[] = [];
    const blocks = Array.from({ length: 100 }, (_, n) => [`tx-${n}-0`, `tx-${n}-1`]);
    const index = new LmdbTxIndex({ txIdsMax: 10 });
    expect(index.locate('ch', 'tx-99-1', source(blocks, reads))).toEqual({ blockNumber: 99, position: 1 });
    expect(Math.min(...reads)).toBe(95);
    expect(index.locate('ch', 'tx-10-0', source(blocks))).toBeUndefined();
  });
});
