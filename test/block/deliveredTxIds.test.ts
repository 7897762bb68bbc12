// A Deliver client that only counts reads each answer in place: it must
// agree with the full decode (decodeDeliverResponse + readTxIds) on real
// Fabric blocks, and refuse malformed answers naming the field.

import { describe, expect, it } from 'vitest';
import { decodeBlock } from '../../src/block/codec/block.js';
import { decodeDeliverResponse, encodeDeliverResponse, encodeDeliverResponseBlockBytes } from '../../src/block/codec/orderer.js';
import { readTxIds } from '../../src/block/envelopeFields.js';
import { MalformedMessageError } from '../../src/block/errors.js';
import { readDeliveredTxIds } from '../../src/block/index.js';
import { Status } from '../../src/block/model.js';
import { ledgerSampleDir, readLedgerBlocks } from './fixtures.js';

describe('readDeliveredTxIds', () => {
  it('reads the block number and tx ids the full decode reads, on every real block', () => {
    const blocks = readLedgerBlocks(ledgerSampleDir);
    expect(blocks.length).toBeGreaterThan(1);
    for (const bytes of blocks) {
      const answer = encodeDeliverResponseBlockBytes(bytes);
      const full = decodeDeliverResponse(answer);
      if (full.type !== 'block') throw new Error('expected a block answer');
      expect(readDeliveredTxIds(answer)).toEqual({ type: 'block', number: full.block.header.number, txIds: readTxIds(decodeBlock(bytes).data) });
    }
  });

  it('reads a status answer, and an empty answer as none', () => {
    expect(readDeliveredTxIds(encodeDeliverResponse({ type: 'status', status: Status.NOT_FOUND }))).toEqual({ type: 'status', status: Status.NOT_FOUND });
    expect(readDeliveredTxIds(encodeDeliverResponse({ type: 'status', status: Status.SUCCESS }))).toEqual({ type: 'status', status: Status.SUCCESS });
    expect(readDeliveredTxIds(new Uint8Array(0))).toEqual({ type: 'none' });
  });

  it('reads a block without data as a block of no transactions', () => {
    const empty = new Uint8Array(0);
    const answer = encodeDeliverResponse({ type: 'block', block: { header: { number: 42, previousHash: empty, dataHash: empty }, data: [], metadata: [] } });
    expect(readDeliveredTxIds(answer)).toEqual({ type: 'block', number: 42, txIds: [] });
  });

  it('refuses a block whose length runs past the answer, and a block without a header, naming the field', () => {
    const bytes = readLedgerBlocks(ledgerSampleDir)[1]!;
    const truncated = encodeDeliverResponseBlockBytes(bytes).subarray(0, 100);
    expect(() => readDeliveredTxIds(truncated)).toThrow(MalformedMessageError);
    expect(() => readDeliveredTxIds(truncated)).toThrow(/deliver_response\.block/);
    // Block{data: BlockData{}} only: field 2, length 0.
    const headerless = encodeDeliverResponseBlockBytes(Uint8Array.of(0x12, 0x00));
    expect(() => readDeliveredTxIds(headerless)).toThrow(/deliver_response\.block\.header: missing/);
  });
});
