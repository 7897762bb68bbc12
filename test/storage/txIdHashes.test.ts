import { describe, expect, it } from 'vitest';
import { LmdbTxIndex, type TxIdSource } from '../../src/storage/lmdbTxIndex.js';
import { TxIdHashes, txIdHash } from '../../src/storage/txIdHashes.js';
import type { WalOp } from '../../src/storage/walOps.js';

/** A committed block op as the index reads it: number and tx ids. */
const blockOp = (number: number, txIds: string[]): WalOp => ({ kind: 'block', channel: 'ch', block: { number, txIds } }) as unknown as WalOp;

/** A ledger of blocks given as their tx ids, numbered from 0. */
function source(blocks: string[][], reads: number[] = []): TxIdSource {
  return {
    blocks: () => blocks.map((txIds, number) => ({ number, txIds })),
    txIdsOf: (number) => {
      reads.push(number);
      return blocks[number]!;
    },
  };
}

describe('TxIdHashes', () => {
  it('names every block holding a tx id, ascending, across growth of the table', () => {
    const hashes = new TxIdHashes();
    for (let block = 0; block < 40; block++)
      hashes.add(
        block,
        Array.from({ length: 100 }, (_, i) => `tx-${block}-${i}`),
      );
    hashes.add(40, ['tx-3-7', 'again', 'again']);
    expect(hashes.size).toBe(4002);
    expect(hashes.candidates('tx-3-7')).toEqual([3, 40]);
    expect(hashes.candidates('tx-39-99')).toContain(39);
    expect(hashes.candidates('again')).toContain(40);
  });

  it('keeps one pair per block and hash, and gives colliding ids every block of their hash', () => {
    const hashes = new TxIdHashes(() => 7);
    hashes.add(0, ['a', 'b', 'a']);
    hashes.add(1, ['c']);
    expect(hashes.size).toBe(2);
    expect(hashes.candidates('zzz')).toEqual([0, 1]);
  });

  it('hashes the whole id', () => {
    expect(txIdHash('a'.repeat(64))).not.toBe(txIdHash(`${'a'.repeat(63)}b`));
    expect(txIdHash(`b${'a'.repeat(63)}`)).not.toBe(txIdHash('a'.repeat(64)));
  });
});

describe('LmdbTxIndex', () => {
  it('locates the first occurrence of a tx id by reading only the blocks its hash names', () => {
    const reads: number[] = [];
    const ledger = source([['a', 'b'], ['c', 'a'], ['d']], reads);
    const index = new LmdbTxIndex();
    expect(index.locate('ch', 'a', ledger)).toEqual({ blockNumber: 0, position: 0 });
    expect(index.locate('ch', 'c', ledger)).toEqual({ blockNumber: 1, position: 0 });
    reads.length = 0;
    expect(index.locate('ch', 'new', ledger)).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('tells a hash collision from a hit: an id whose hash another id shares is not found', () => {
    const reads: number[] = [];
    const ledger = source([['a', 'b'], ['c']], reads);
    const index = new LmdbTxIndex(() => new TxIdHashes(() => 1));
    expect(index.locate('ch', 'c', ledger)).toEqual({ blockNumber: 1, position: 0 });
    expect(index.locate('ch', 'b', ledger)).toEqual({ blockNumber: 0, position: 1 });
    expect(index.locate('ch', 'x', ledger)).toBeUndefined();
    expect(reads).toContain(0);
  });

  it('adds committed blocks to a built index and forgets a fully dropped channel', () => {
    const blocks = [['a']];
    const ledger = source(blocks);
    const index = new LmdbTxIndex();
    expect(index.locate('ch', 'b', ledger)).toBeUndefined();
    blocks.push(['b']);
    index.committed([blockOp(1, ['b'])]);
    expect(index.locate('ch', 'b', ledger)).toEqual({ blockNumber: 1, position: 0 });
    index.committed([{ kind: 'dropChannel', channel: 'ch', keepLedger: false }]);
    blocks.splice(0, 2, ['z']);
    expect(index.locate('ch', 'b', ledger)).toBeUndefined();
    expect(index.locate('ch', 'z', ledger)).toEqual({ blockNumber: 0, position: 0 });
  });
});
