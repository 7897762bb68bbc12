// A node's signed block shares everything before its metadata with the block
// its Raft entry carried: sharedEntryBody finds that slice of the entry's data
// (the ledger then stores a reference instead of those bytes again, after
// comparing them: test/storage/entryBodies.test.ts).

import { describe, expect, it } from 'vitest';
import {
  BlockCreator,
  blockBytesBeforeMetadata,
  createGenesisBlock,
  createSignedEnvelope,
  decodeBlock,
  decodeBlockEntry,
  encodeBlock,
  encodeBlockEntry,
  HeaderType,
} from '../../src/block/index.js';
import { sharedEntryBody } from '../../src/chain/order/entryBody.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';

const hasher = createCryptoProvider('native').hasher('sha256');
const CHANNEL = 'entry-body';

function committedBlock() {
  const genesis = createGenesisBlock(hasher, createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: Uint8Array.of(1) }));
  const envelopes = Array.from({ length: 3 }, (_, i) =>
    createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, txId: `tx-${i}`, data: new Uint8Array(2000).fill(i) }),
  );
  return new BlockCreator(hasher, genesis.header).createNextBlock(envelopes);
}

/** The block as a node writes it: the entry's header and data, its own (signed) metadata. */
function signedAs(entryBlock: Uint8Array): Uint8Array {
  const block = decodeBlock(entryBlock);
  return encodeBlock({ ...block, metadata: [Uint8Array.of(9, 9, 9), new Uint8Array(70).fill(7), new Uint8Array(0), new Uint8Array(0), Uint8Array.of(5)] });
}

describe('sharedEntryBody', () => {
  it('is the slice of the entry data that the signed block starts with: up to the metadata', () => {
    const block = committedBlock();
    const data = encodeBlockEntry(block, ['tx-0', 'tx-1', 'tx-2']);
    const carried = decodeBlockEntry(data);
    const signed = signedAs(carried.block);
    const slice = sharedEntryBody(data, carried.block, signed);
    expect(slice).toBeDefined();
    const { offset, length } = slice!;
    expect(offset).toBe(data.length - carried.block.length);
    expect(length).toBe(blockBytesBeforeMetadata(carried.block));
    expect(length).toBeGreaterThan(6000);
    const rebuilt = Buffer.concat([data.subarray(offset, offset + length), signed.subarray(length)]);
    expect(Buffer.compare(rebuilt, signed)).toBe(0);
  });

  it('holds for a bare block entry (no tx ids ahead of the block) at offset 0', () => {
    const data = encodeBlock(committedBlock());
    expect(sharedEntryBody(data, data, signedAs(data))?.offset).toBe(0);
  });

  it('is undefined when the entry block is not a view into the entry data', () => {
    const data = encodeBlock(committedBlock());
    expect(sharedEntryBody(data, Uint8Array.from(data), signedAs(data))).toBeUndefined();
  });
});
