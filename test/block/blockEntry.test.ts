import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_ENTRY_MAGIC, decodeBlockEntry, encodeBlockEntry } from '../../src/block/blockEntry.js';
import { decodeBlock, encodeBlock } from '../../src/block/codec/block.js';
import { MalformedMessageError } from '../../src/block/errors.js';
import { readTxIds } from '../../src/block/envelopeFields.js';
import type { Block } from '../../src/block/model.js';
import { ledgerSampleDir, readLedgerBlocks } from './fixtures.js';

const realBlocks = readLedgerBlocks(ledgerSampleDir).map((bytes) => decodeBlock(bytes));

function blockOf(envelopes: Uint8Array[]): Block {
  return { header: { number: 3, previousHash: Uint8Array.of(1, 2), dataHash: Uint8Array.of(3) }, data: envelopes, metadata: [] };
}

function expectBad(data: Uint8Array, reason: RegExp): void {
  try {
    decodeBlockEntry(data);
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedMessageError);
    expect((err as MalformedMessageError).code).toBe('BAD_BLOCK');
    expect((err as MalformedMessageError).message).toMatch(reason);
    return;
  }
  expect.unreachable(`expected a MalformedMessageError matching ${reason}`);
}

describe('block entry (tx ids carried ahead of the marshaled block)', () => {
  it("keeps Fabric's block bytes identical and carries exactly the tx ids the envelopes hold, on every real block", () => {
    for (const block of realBlocks) {
      const txIds = readTxIds(block.data, 'BAD_BLOCK');
      const entry = encodeBlockEntry(block, txIds);
      expect(entry[0]).toBe(BLOCK_ENTRY_MAGIC);
      const decoded = decodeBlockEntry(entry);
      expect(Buffer.from(decoded.block).equals(Buffer.from(encodeBlock(block)))).toBe(true);
      expect(decoded.txIds).toEqual(txIds);
      // A view into the entry, not a copy.
      expect(decoded.block.buffer).toBe(entry.buffer);
    }
  });

  it('reads an entry written before tx ids were carried (a bare marshaled block) as that block, without tx ids', () => {
    for (const block of realBlocks) {
      const bare = encodeBlock(block);
      const decoded = decodeBlockEntry(bare);
      expect(decoded.txIds).toBeUndefined();
      expect(decoded.block).toBe(bare);
    }
  });

  it('round-trips any tx ids, empty and non-ASCII ones included', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 40 }), (txIds) => {
        const block = blockOf(txIds.map((_, i) => Uint8Array.of(i % 256)));
        const decoded = decodeBlockEntry(encodeBlockEntry(block, txIds));
        expect(decoded.txIds).toEqual(txIds);
        expect(decodeBlock(decoded.block).data.length).toBe(txIds.length);
      }),
    );
  });

  it('writes each tx id as its UTF-8 bytes (lone surrogates as U+FFFD, as TextEncoder does), then the block unchanged', () => {
    const utf8 = new TextEncoder();
    // At most 30 units of at most 3 bytes each: every length is a one-byte varint.
    const unit = fc.oneof(fc.constantFrom('a', 'Z', '0', 'é', '€', '😀', '\ud800', '\udfff'), fc.string({ unit: 'binary', maxLength: 1 }));
    fc.assert(
      fc.property(fc.array(fc.string({ unit, maxLength: 30 }), { maxLength: 20 }), (txIds) => {
        const block = blockOf(txIds.map((_, i) => Uint8Array.of(i % 256)));
        const ids = txIds.map((id) => utf8.encode(id));
        const expected = [BLOCK_ENTRY_MAGIC, 1, txIds.length];
        for (const id of ids) expected.push(id.length, ...id);
        const entry = encodeBlockEntry(block, txIds);
        expect([...entry.subarray(0, expected.length)]).toEqual(expected);
        expect(entry.subarray(expected.length)).toEqual(encodeBlock(block));
      }),
    );
  });

  it('refuses a tx id list that does not match the envelopes', () => {
    expect(() => encodeBlockEntry(blockOf([Uint8Array.of(1)]), [])).toThrow(/0 tx ids for 1 envelopes/);
  });

  it('names what is wrong with a damaged tx-id section', () => {
    const entry = encodeBlockEntry(blockOf([Uint8Array.of(1), Uint8Array.of(2)]), ['a', 'bc']);
    expectBad(Uint8Array.of(BLOCK_ENTRY_MAGIC), /version \(missing\)/);
    expectBad(Uint8Array.of(BLOCK_ENTRY_MAGIC, 9, 0), /version 9 is not 1/);
    expectBad(Uint8Array.of(BLOCK_ENTRY_MAGIC, 1, 0x80), /tx id count runs past/);
    expectBad(Uint8Array.of(BLOCK_ENTRY_MAGIC, 1, 100, 1), /tx id count 100 exceeds/);
    expectBad(Uint8Array.of(BLOCK_ENTRY_MAGIC, 1, 2, 1, 0x61, 5, 0x62), /tx id 1 of 5 bytes runs past/);
    expectBad(Uint8Array.of(BLOCK_ENTRY_MAGIC, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /tx id 0 length is longer than 8 bytes/);
    expect(decodeBlockEntry(entry).txIds).toEqual(['a', 'bc']);
  });
});
