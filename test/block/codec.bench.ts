// Figures behind the codec choice (run: npx vitest bench --run test/block/codec.bench.ts).
// The per-envelope hot path must stay under 5 µs: our zero-copy reader against
// the two libraries at hand, @hyperledger/fabric-protos (google-protobuf) and
// protobufjs, plus per-block decode/encode and hashing for scale.

import os from 'node:os';
import { common, msp } from '@hyperledger/fabric-protos';
import protobuf from 'protobufjs';
import { bench, describe } from 'vitest';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { decodeBlock, encodeBlock } from '../../src/block/codec/block.js';
import { decodeChannelHeader, decodeEnvelope, decodePayload, decodeSerializedIdentity, decodeSignatureHeader } from '../../src/block/codec/common.js';
import { readEnvelopeFields } from '../../src/block/envelopeFields.js';
import { dataHash, headerHash } from '../../src/block/headerHash.js';
import { ledgerBadDir, ledgerSampleDir, readLedgerBlocks } from './fixtures.js';

console.log(`machine: ${os.cpus()[0]?.model} x ${os.cpus().length} cores, node ${process.version}`);

const blocks = [...readLedgerBlocks(ledgerSampleDir), ...readLedgerBlocks(ledgerBadDir)].map((b) => new Uint8Array(Buffer.from(b)));
const envelopes = blocks.flatMap((b) => decodeBlock(b).data).filter((e) => readEnvelopeFields(e).creator.length > 0);
let i = 0;
const nextEnvelope = () => envelopes[i++ % envelopes.length]!;
const nextBlock = () => blocks[i++ % blocks.length]!;

const pbjs = protobuf.parse(`syntax = "proto3"; package p;
message Envelope { bytes payload = 1; bytes signature = 2; }
message Payload { Header header = 1; bytes data = 2; }
message Header { bytes channel_header = 1; bytes signature_header = 2; }
message ChannelHeader { int32 type = 1; int32 version = 2; string channel_id = 4; string tx_id = 5; uint64 epoch = 6; bytes extension = 7; bytes tls_cert_hash = 8; }
message SignatureHeader { bytes creator = 1; bytes nonce = 2; }
message SerializedIdentity { string mspid = 1; bytes id_bytes = 2; }
message Block { BlockHeader header = 1; BlockData data = 2; BlockMetadata metadata = 3; }
message BlockHeader { uint64 number = 1; bytes previous_hash = 2; bytes data_hash = 3; }
message BlockData { repeated bytes data = 1; }
message BlockMetadata { repeated bytes metadata = 1; }`).root;
const T = (name: string) => pbjs.lookupType(`p.${name}`);
const [E, P, C, S, I, B] = ['Envelope', 'Payload', 'ChannelHeader', 'SignatureHeader', 'SerializedIdentity', 'Block'].map(T) as [protobuf.Type, protobuf.Type, protobuf.Type, protobuf.Type, protobuf.Type, protobuf.Type];

let sink: unknown;

describe('per-envelope hot path: channel id, type, tx id, creator, payload, signature', () => {
  bench('readEnvelopeFields (ours, zero-copy)', () => {
    sink = readEnvelopeFields(nextEnvelope());
  });
  bench('full codec chain (ours)', () => {
    const env = decodeEnvelope(nextEnvelope());
    const header = decodePayload(env.payload).header!;
    const ch = decodeChannelHeader(header.channelHeader);
    sink = [ch, decodeSerializedIdentity(decodeSignatureHeader(header.signatureHeader).creator), env.signature];
  });
  bench('@hyperledger/fabric-protos (google-protobuf)', () => {
    const env = common.Envelope.deserializeBinary(nextEnvelope());
    const header = common.Payload.deserializeBinary(env.getPayload_asU8()).getHeader()!;
    const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const id = msp.SerializedIdentity.deserializeBinary(common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8());
    sink = [ch.getChannelId(), ch.getType(), ch.getTxId(), id.getMspid(), id.getIdBytes_asU8(), env.getSignature_asU8()];
  });
  bench('protobufjs (reflection + generated code)', () => {
    const env = E.decode(nextEnvelope()) as unknown as { payload: Uint8Array; signature: Uint8Array };
    const header = (P.decode(env.payload) as unknown as { header: { channelHeader: Uint8Array; signatureHeader: Uint8Array } }).header;
    const ch = C.decode(header.channelHeader);
    const sh = S.decode(header.signatureHeader) as unknown as { creator: Uint8Array };
    sink = [ch, I.decode(sh.creator), env.signature];
  });
});

describe('per block (~4 KiB, 1 envelope): decode + re-encode', () => {
  bench('ours', () => {
    sink = encodeBlock(decodeBlock(nextBlock()));
  });
  bench('@hyperledger/fabric-protos', () => {
    sink = common.Block.deserializeBinary(nextBlock()).serializeBinary();
  });
  bench('protobufjs', () => {
    sink = B.encode(B.decode(nextBlock())).finish();
  });
});

describe('per block: header hash + data hash (SHA-256)', () => {
  for (const engine of ['native', 'native-free'] as const) {
    const hasher = createCryptoProvider(engine).hasher('sha256');
    bench(engine, () => {
      const block = decodeBlock(nextBlock());
      sink = [headerHash(hasher, block.header), dataHash(hasher, block.data)];
    });
  }
});

export { sink };
