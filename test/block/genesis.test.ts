import { readFileSync } from 'node:fs';
import { common } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { isConfigBlock, readBlockSignatures } from '../../src/block/blockMetadata.js';
import { decodeBlock, encodeBlock } from '../../src/block/codec/block.js';
import { decodeChannelHeader, decodeEnvelope, decodePayload } from '../../src/block/codec/common.js';
import { readEnvelopeFields } from '../../src/block/envelopeFields.js';
import { createCreatorKeyResolver } from '../../src/block/creatorKey.js';
import { LedgerVerifier } from '../../src/block/ledgerVerify.js';
import { HeaderType } from '../../src/block/model.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { genesisBlockPath, hex } from './fixtures.js';

const bytes = new Uint8Array(readFileSync(genesisBlockPath));

function libChannelId(blockBytes: Uint8Array): string {
  const env = common.Envelope.deserializeBinary(common.Block.deserializeBinary(blockBytes).getData()!.getDataList_asU8()[0]!);
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  return common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getChannelId();
}

describe('etcdraft genesis block (a Fabric config block)', () => {
  it('decodes without error and re-encodes to identical bytes', () => {
    const block = decodeBlock(bytes);
    expect(block.header.number).toBe(0);
    expect(block.data.length).toBe(1);
    expect(hex(encodeBlock(block))).toBe(hex(bytes));
  });

  it('yields its channel id, by the hot-path reader and by the full codec, as fabric-protos does', () => {
    const block = decodeBlock(bytes);
    const expected = libChannelId(bytes);
    expect(expected).toBe('testchannel');
    expect(readEnvelopeFields(block.data[0]!).channelId).toBe(expected);
    const header = decodePayload(decodeEnvelope(block.data[0]!).payload).header!;
    expect(decodeChannelHeader(header.channelHeader).channelId).toBe(expected);
  });

  it('is recognised as a config block with no orderer signature', () => {
    const block = decodeBlock(bytes);
    expect(readEnvelopeFields(block.data[0]!).headerType).toBe(HeaderType.CONFIG);
    expect(isConfigBlock(block)).toBe(true);
    expect(readBlockSignatures(block).signedData).toEqual([]);
  });

  it('passes ledger verification with both engines: its config transaction is signed by OrdererMSP', () => {
    for (const engine of ['native', 'native-free'] as const) {
      const crypto = createCryptoProvider(engine);
      const verifier = new LedgerVerifier({ hasher: crypto.hasher('sha256'), verifier: (a) => crypto.verifier(a), creatorKey: createCreatorKeyResolver() });
      const report = verifier.verifyBlock(bytes);
      expect(report.failures).toEqual([]);
      expect(report.notes).toEqual(['genesis block has no orderer signature']);
      expect(readEnvelopeFields(decodeBlock(bytes).data[0]!).creatorMspId).toBe('OrdererMSP');
    }
  });
});
