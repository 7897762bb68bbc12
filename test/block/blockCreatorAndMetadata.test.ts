import { X509Certificate, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Signer } from '../../src/crypto/types.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { BlockCreator } from '../../src/block/blockCreator.js';
import {
  BlockMetadataWriter,
  NONCE_BYTES,
  isConfigBlock,
  readBlockSignatures,
  readConsenterMetadata,
  readLastConfigEntry,
} from '../../src/block/blockMetadata.js';
import { decodeBlock, decodeMetadata, encodeBlock, encodeMetadata } from '../../src/block/codec/block.js';
import { decodeSerializedIdentity, decodeSignatureHeader, encodeSerializedIdentity } from '../../src/block/codec/common.js';
import { headerHash } from '../../src/block/headerHash.js';
import { BLOCK_METADATA_ENTRIES, BlockMetadataIndex, HeaderType, type Block } from '../../src/block/model.js';
import { createSignedEnvelope } from '../../src/block/envelopeBuilder.js';
import { hex, ledgerBadDir, ledgerSampleDir, nodeSha256, readLedgerBlocks } from './fixtures.js';

const sample = readLedgerBlocks(ledgerSampleDir).map((b) => decodeBlock(b));
const bad = readLedgerBlocks(ledgerBadDir).map((b) => decodeBlock(b));
const empty = new Uint8Array(0);

describe('BlockCreator', () => {
  it('re-creates the headers of the real Fabric ledger from each previous block', () => {
    // ledger-bad's block 0 header was tampered with, so its chain is checked from block 1 on.
    for (const [ledger, from] of [
      [sample, 0],
      [bad, 1],
    ] as const) {
      for (let i = from; i + 1 < ledger.length; i++) {
        const creator = new BlockCreator(nodeSha256, ledger[i]!.header);
        const next = creator.createNextBlock(ledger[i + 1]!.data);
        expect(next.header.number).toBe(ledger[i + 1]!.header.number);
        expect(hex(next.header.previousHash)).toBe(hex(ledger[i + 1]!.header.previousHash));
        expect(hex(next.header.dataHash)).toBe(hex(ledger[i + 1]!.header.dataHash));
      }
    }
  });

  it('chains from the last created block, not the last committed one, and numbers consecutively', () => {
    const creator = new BlockCreator(nodeSha256, sample[0]!.header);
    const blocks: Block[] = [];
    for (let i = 1; i < sample.length; i++) blocks.push(creator.createNextBlock(sample[i]!.data));
    // Nothing was committed in between, yet the chain equals the real ledger's.
    blocks.forEach((b, i) => expect(hex(encodeBlock({ ...b, metadata: sample[i + 1]!.metadata }))).toBe(hex(encodeBlock(sample[i + 1]!))));
    expect(creator.lastNumber).toBe(sample.length - 1);
    expect(hex(creator.lastHash)).toBe(hex(headerHash(nodeSha256, sample.at(-1)!.header)));
  });

  it("starts with Fabric's five empty metadata entries and keeps envelopes by reference", () => {
    const envelopes = [Uint8Array.of(1), Uint8Array.of(2, 3)];
    const block = new BlockCreator(nodeSha256, { number: 4, previousHash: empty, dataHash: empty }).createNextBlock(envelopes);
    expect(block.metadata.length).toBe(BLOCK_METADATA_ENTRIES);
    expect(block.metadata.every((m) => m.length === 0)).toBe(true);
    expect(block.data[1]).toBe(envelopes[1]);
    expect(block.header.number).toBe(5);
  });

  it('uses a data hash computed elsewhere when given one', () => {
    const dh = new Uint8Array(32).fill(7);
    const block = new BlockCreator(nodeSha256, sample[0]!.header).createNextBlock([Uint8Array.of(1)], dh);
    expect(block.header.dataHash).toBe(dh);
  });

  it('chains blocks built elsewhere from nextHeaderStart as createNextBlock would, and refuses one that does not follow', () => {
    const creator = new BlockCreator(nodeSha256, sample[0]!.header);
    for (let i = 1; i < sample.length; i++) {
      const start = creator.nextHeaderStart();
      expect(start.number).toBe(i);
      expect(hex(start.previousHash)).toBe(hex(sample[i]!.header.previousHash));
      creator.appendHeader({ ...start, dataHash: sample[i]!.header.dataHash });
    }
    expect(hex(creator.lastHash)).toBe(hex(headerHash(nodeSha256, sample.at(-1)!.header)));
    const start = creator.nextHeaderStart();
    expect(() => creator.appendHeader({ ...start, number: start.number + 1, dataHash: empty })).toThrow(/does not follow/);
    expect(() => creator.appendHeader({ ...start, previousHash: new Uint8Array(32), dataHash: empty })).toThrow(/does not chain/);
  });

  it('refuses an empty block (programmer error)', () => {
    expect(() => new BlockCreator(nodeSha256, sample[0]!.header).createNextBlock([])).toThrow(/at least one envelope/);
  });
});

/** A signer that replays the real orderer's signature and records what it was asked to sign. */
function replaySigner(signature: Uint8Array, signed: Uint8Array[]): Signer {
  return {
    algorithm: 'ecdsa-p256',
    publicKey: empty,
    sign(message: Uint8Array): Uint8Array {
      signed.push(message);
      return signature;
    },
  };
}

describe('BlockMetadataWriter on the real Fabric ledgers', () => {
  for (const [name, ledger] of [
    ['ledger-sample (solo)', sample],
    ['ledger-bad (etcdraft)', bad],
  ] as const) {
    it(`reproduces the SIGNATURES and LAST_CONFIG metadata of ${name} byte for byte`, () => {
      const writer = new BlockMetadataWriter({
        identity: { signer: replaySigner(empty, []), serializedIdentity: empty },
        lastConfigBlockNumber: 0,
      });
      let checked = 0;
      for (const original of ledger.slice(1)) {
        const md = decodeMetadata(original.metadata[BlockMetadataIndex.SIGNATURES]!);
        const sig = md.signatures[0]!;
        const sh = decodeSignatureHeader(sig.signatureHeader);
        const signed: Uint8Array[] = [];
        const identity = { signer: replaySigner(sig.signature, signed), serializedIdentity: sh.creator };
        // One writer per block so each can replay that block's signer; the last-config state is carried over.
        const blockWriter = new BlockMetadataWriter({ identity, lastConfigBlockNumber: writer.lastConfigBlockNumber, nonce: () => sh.nonce });
        const stripped: Block = { ...original, metadata: original.metadata.map((m, i) => (i <= BlockMetadataIndex.LAST_CONFIG ? empty : m)) };
        const written = blockWriter.write(stripped, readBlockSignatures(original).etcdraft);
        writer.write(stripped, undefined); // advances the shared last-config state
        expect(hex(encodeBlock(written))).toBe(hex(encodeBlock(original)));
        // What we asked to sign is what the real signature verifies over, with the orderer's certificate.
        const cert = new X509Certificate(Buffer.from(decodeSerializedIdentity(sh.creator).idBytes));
        expect(signed.length).toBe(1);
        expect(nodeVerify('sha256', signed[0]!, cert.publicKey, sig.signature)).toBe(true);
        checked++;
      }
      expect(checked).toBe(ledger.length - 1);
    });
  }

  it('makes a config block its own last config, and later blocks point at it', () => {
    expect(isConfigBlock(bad[1]!)).toBe(true);
    expect(isConfigBlock(bad[3]!)).toBe(false);
    expect(bad.map((b) => readLastConfigEntry(b))).toEqual([0, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(bad.slice(1).map((b) => readBlockSignatures(b).etcdraft?.raftIndex)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('reads the last config and etcdraft state of a real ledger as readBlockSignatures does, without the signed data', () => {
    for (const block of [...sample.slice(1), ...bad.slice(1)]) {
      const { lastConfigIndex, etcdraft } = readBlockSignatures(block);
      expect(readConsenterMetadata(block)).toEqual({ lastConfigIndex, etcdraft });
    }
    expect(readConsenterMetadata(sample[0]!)).toEqual({ lastConfigIndex: undefined, etcdraft: undefined });
  });

  it('reads the raft index of a block whose signature header does not decode (signatures are not its business)', () => {
    const block = bad[3]!;
    const md = decodeMetadata(block.metadata[BlockMetadataIndex.SIGNATURES]!);
    const garbled = encodeMetadata({ value: md.value, signatures: md.signatures.map((s) => ({ ...s, signatureHeader: Uint8Array.of(0xff, 0xff) })) });
    const metadata = block.metadata.map((m, i) => (i === BlockMetadataIndex.SIGNATURES ? garbled : m));
    const tampered: Block = { ...block, metadata };
    expect(() => readBlockSignatures(tampered)).toThrow(/signature_header/);
    expect(readConsenterMetadata(tampered).etcdraft?.raftIndex).toBe(5);
  });

  it('does not count a one-envelope ORDERER_TRANSACTION block as a config block, nor make it LAST_CONFIG', () => {
    const crypto = createCryptoProvider('native');
    const signer = crypto.generateSigner('ecdsa-p256');
    const creator = { signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: Uint8Array.of(1) }) };
    const envelope = createSignedEnvelope({ type: HeaderType.ORDERER_TRANSACTION, channelId: 'ch1', data: Uint8Array.of(7, 7, 7), creator });
    const block = new BlockCreator(crypto.hasher('sha256'), bad[2]!.header).createNextBlock([envelope]);
    expect(isConfigBlock(block)).toBe(false);
    const writer = new BlockMetadataWriter({ identity: creator, lastConfigBlockNumber: 2 });
    expect(readBlockSignatures(writer.write(block, undefined)).lastConfigIndex).toBe(2);
  });
});

describe('BlockMetadataWriter with real signers of both engines', () => {
  for (const engine of ['native', 'native-free'] as const) {
    for (const algorithm of ['ecdsa-p256', 'sm2'] as const) {
      it(`${engine} ${algorithm}: signs blocks whose metadata verifies and records the etcdraft state`, () => {
        const crypto = createCryptoProvider(engine);
        const hasher = crypto.hasher(algorithm === 'sm2' ? 'sm3' : 'sha256');
        const signer = crypto.generateSigner(algorithm);
        const serializedIdentity = encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: Uint8Array.of(1, 2, 3) });
        const writer = new BlockMetadataWriter({ identity: { signer, serializedIdentity }, lastConfigBlockNumber: 0 });
        const creator = new BlockCreator(hasher, bad[2]!.header);
        const block = writer.write(creator.createNextBlock(bad[3]!.data), { consenterIds: [1, 2, 3], nextConsenterId: 4, raftIndex: 42 });

        const info = readBlockSignatures(decodeBlock(encodeBlock(block)));
        expect(info.etcdraft).toEqual({ consenterIds: [1, 2, 3], nextConsenterId: 4, raftIndex: 42 });
        expect(info.lastConfigIndex).toBe(0);
        expect(info.signedData.length).toBe(1);
        const { creator: who, data, signature } = info.signedData[0]!;
        expect(hex(who)).toBe(hex(serializedIdentity));
        for (const verifierEngine of ['native', 'native-free'] as const) {
          expect(createCryptoProvider(verifierEngine).verifier(algorithm).verify(signer.publicKey, data, signature)).toBe(true);
        }
        const tampered = { ...block, header: { ...block.header, number: block.header.number + 1 } };
        const tamperedData = readBlockSignatures(tampered).signedData[0]!.data;
        expect(crypto.verifier(algorithm).verify(signer.publicKey, tamperedData, signature)).toBe(false);
        expect(decodeSignatureHeader(decodeMetadata(block.metadata[0]!).signatures[0]!.signatureHeader).nonce.length).toBe(NONCE_BYTES);
      });
    }
  }
});
