// The harness names each envelope by a number from its tx id (txKey.ts) and
// reads delivered blocks into those numbers without decoding them
// (deliveredTxKeys.ts): the keys must be the ones its signing processes
// gave, envelopes without a tx id must not count as transactions, and
// pending envelopes must be found, taken once, and survive growth.

import { describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeDeliverResponse, HeaderType, Status } from '../../../src/block/index.js';
import { DeliveredTxKeys } from '../../../src/client/bench/deliveredTxKeys.js';
import { FOREIGN_KEY, PendingTable, txKeyAt, txKeyOf } from '../../../src/client/bench/txKey.js';

const empty = new Uint8Array(0);

function blockAnswer(number: number, data: Uint8Array[]): Uint8Array {
  return encodeDeliverResponse({ type: 'block', block: { header: { number, previousHash: empty, dataHash: empty }, data, metadata: [new Uint8Array(7)] } });
}

const tx = (txId: string): Uint8Array => createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'c', data: new Uint8Array(300), txId });

describe('txKeyOf', () => {
  it('is the first 13 hex digits of the tx id as a number, the same read from bytes, and FOREIGN_KEY for ids that are not hex', () => {
    expect(txKeyOf(`0123456789abc${'f'.repeat(51)}`)).toBe(0x0123456789abc);
    expect(txKeyOf('FFFFFFFFFFFFF')).toBe(2 ** 52 - 1);
    const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
    expect(txKeyAt(Buffer.from(`xx${id}`, 'latin1'), 2, 66)).toBe(txKeyOf(id));
    expect(txKeyOf('tx-1')).toBe(FOREIGN_KEY);
    expect(txKeyOf('g'.repeat(64))).toBe(FOREIGN_KEY);
  });
});

describe('PendingTable', () => {
  it('takes each key once with its value, misses absent keys, and keeps every entry across growth and tombstone sweeps', () => {
    const table = new PendingTable();
    const keys = Array.from({ length: 5000 }, (_, i) => txKeyOf(`${((i * 2654435761) % 2 ** 32).toString(16).padStart(8, '0')}abcde`));
    keys.forEach((k, i) => table.set(k, i + 0.5));
    expect(table.size).toBe(5000);
    const evens = keys.filter((_, i) => i % 2 === 0);
    expect(evens.map((k) => table.take(k))).toEqual(evens.map((_, j) => 2 * j + 0.5));
    expect(Number.isNaN(table.take(keys[0]!))).toBe(true);
    expect(Number.isNaN(table.take(txKeyOf('fffffffffffff')))).toBe(true);
    expect(Number.isNaN(table.take(FOREIGN_KEY))).toBe(true);
    // Many sets and takes in turn: tombstones are swept, nothing is lost.
    const taken: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (const k of evens) table.set(k + round + 1, round);
      for (const k of evens) taken.push(table.take(k + round + 1));
    }
    expect(taken).toEqual(Array.from({ length: 20 }, (_, round) => evens.map(() => round)).flat());
    const odds = keys.filter((_, i) => i % 2 === 1);
    expect(odds.map((k) => table.take(k))).toEqual(odds.map((_, j) => 2 * j + 1.5));
    expect(table.size).toBe(0);
  });
});

describe('DeliveredTxKeys', () => {
  it("reads a block's number and its transactions' keys in order, leaving out envelopes without a tx id", () => {
    const ids = ['aa'.repeat(32), 'bb'.repeat(32), 'not-hex'];
    const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: 'c', data: new Uint8Array(10) });
    const reader = new DeliveredTxKeys();
    expect(reader.read(blockAnswer(2 ** 40 + 3, [tx(ids[0]!), config, tx(ids[1]!), tx(ids[2]!), new Uint8Array([0xff])]))).toBe('block');
    expect(reader.number).toBe(2 ** 40 + 3);
    expect(Array.from(reader.keys.subarray(0, reader.count))).toEqual([txKeyOf(ids[0]!), txKeyOf(ids[1]!), FOREIGN_KEY]);
    // The reader is reused: the next block replaces the last, and grows past its first capacity.
    const many = Array.from({ length: 3000 }, (_, i) => i.toString(16).padStart(64, '0'));
    reader.read(blockAnswer(9, many.map(tx)));
    expect(reader.count).toBe(3000);
    expect(Array.from(reader.keys.subarray(0, reader.count))).toEqual(many.map(txKeyOf));
    reader.read(blockAnswer(10, []));
    expect([reader.number, reader.count]).toEqual([10, 0]);
  });

  it('reads a status answer, and throws naming the message for bytes that do not frame', () => {
    const reader = new DeliveredTxKeys();
    expect(reader.read(encodeDeliverResponse({ type: 'status', status: Status.NOT_FOUND }))).toBe('status');
    expect(reader.status).toBe(Status.NOT_FOUND);
    const block = blockAnswer(1, [tx('aa'.repeat(32))]);
    expect(() => reader.read(block.subarray(0, block.length - 40))).toThrow(/DeliverResponse.block: length \d+ runs past the end/);
    expect(() => reader.read(new Uint8Array([0x12, 0x02, 0x1a, 0x00]))).toThrow(/DeliverResponse.block: no header/);
    expect(() => reader.read(new Uint8Array([0x0b]))).toThrow(/DeliverResponse: field 1 has wire type 3/);
  });
});
