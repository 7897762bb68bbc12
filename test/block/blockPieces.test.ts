// A node writes the block its Raft entry carried with its own metadata: the
// bytes before the metadata field are reused as they are (no re-marshaling)
// when they are exactly what encodeBlock writes, and the metadata field is
// appended (encodeBlockMetadataField). Checked on the real Fabric ledgers, on
// random blocks, and on marshalings that decode the same but are not canonical.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytesBeforeMetadata, decodeBlock, encodeBlock, encodeBlockHeader, encodeBlockMetadataField, type Block } from '../../src/block/index.js';
import { hex, ledgerSampleDir, readLedgerBlocks } from './fixtures.js';

function joined(head: Uint8Array, metadata: readonly Uint8Array[]): string {
  return hex(Buffer.concat([head, encodeBlockMetadataField(metadata)]));
}

/** Protobuf length-delimited field: key, varint length (with `padding` extra continuation bytes), bytes. */
function field(number: number, bytes: Uint8Array, padding = 0): Uint8Array {
  const length: number[] = [];
  let n = bytes.length;
  while (n >= 0x80) {
    length.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  if (padding === 0) length.push(n);
  else {
    length.push(n | 0x80);
    for (let i = 1; i < padding; i++) length.push(0x80);
    length.push(0);
  }
  return Buffer.concat([Uint8Array.of((number << 3) | 2), Uint8Array.from(length), bytes]);
}

const block: Block = decodeBlock(readLedgerBlocks(ledgerSampleDir)[1]!);
const headerField = field(1, encodeBlockHeader(block.header));
const entries = block.data;
const dataEntries = Buffer.concat(entries.map((e) => field(1, e)));
const dataField = field(2, dataEntries);
const metadataField = encodeBlockMetadataField(block.metadata);

describe('canonicalBytesBeforeMetadata and encodeBlockMetadataField', () => {
  it('on every block of the real Fabric ledger: head ‖ metadata field is the block, byte for byte', () => {
    const blocks = readLedgerBlocks(ledgerSampleDir);
    expect(blocks.length).toBeGreaterThan(0);
    for (const bytes of blocks) {
      const decoded = decodeBlock(bytes);
      const head = canonicalBytesBeforeMetadata(bytes, decoded);
      expect(head).toBeDefined();
      expect(head!.buffer).toBe(bytes.buffer); // a view, not a copy
      expect(joined(head!, decoded.metadata)).toBe(hex(bytes));
    }
  });

  it('head ‖ any metadata field is encodeBlock with that metadata (property)', () => {
    const bytes = fc.uint8Array({ maxLength: 300 });
    fc.assert(
      fc.property(
        fc.array(bytes, { maxLength: 6 }),
        fc.array(bytes, { maxLength: 6 }),
        fc.array(bytes, { maxLength: 6 }),
        fc.nat(),
        (data, entryMetadata, signedMetadata, number) => {
          const b: Block = { header: { ...block.header, number }, data, metadata: entryMetadata };
          const marshaled = encodeBlock(b);
          const head = canonicalBytesBeforeMetadata(marshaled, decodeBlock(marshaled));
          expect(head).toBeDefined();
          expect(joined(head!, signedMetadata)).toBe(hex(encodeBlock({ ...b, metadata: signedMetadata })));
        },
      ),
    );
  });

  it('the hand-built canonical marshaling is accepted (the cases below differ from it in one way each)', () => {
    const bytes = Buffer.concat([headerField, dataField, metadataField]);
    expect(hex(bytes)).toBe(hex(encodeBlock(block)));
    expect(canonicalBytesBeforeMetadata(bytes, decodeBlock(bytes))).toBeDefined();
  });

  it.each([
    ['data before header', () => Buffer.concat([dataField, headerField, metadataField])],
    ['an unknown field before the metadata', () => Buffer.concat([headerField, dataField, field(9, Uint8Array.of(1)), metadataField])],
    ['a non-minimal length of the data field', () => Buffer.concat([headerField, field(2, dataEntries, 1), metadataField])],
    [
      'a non-minimal length of an envelope',
      () => Buffer.concat([headerField, field(2, Buffer.concat(entries.map((e, i) => field(1, e, i === 0 ? 1 : 0)))), metadataField]),
    ],
    ['a field after the metadata', () => Buffer.concat([headerField, dataField, metadataField, field(9, Uint8Array.of(1))])],
  ])('is undefined for a marshaling with %s, which decodes to the same block', (_, build) => {
    const bytes = build();
    const decoded = decodeBlock(bytes);
    expect(hex(encodeBlock(decoded))).toBe(hex(encodeBlock(block)));
    expect(canonicalBytesBeforeMetadata(bytes, decoded)).toBeUndefined();
  });
});
