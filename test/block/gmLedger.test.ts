// End to end through the block layer on a synthetic ledger: envelopes signed
// by a dev PKI member, cut, created, metadata-signed by an orderer, written as
// NNN.block files and checked by verify-ledger. Run for the GM suite (SM2 +
// SM3) and for P-256 + SHA-256, built with one engine and verified with both.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../../src/crypto/types.js';
import { BlockCreator, createGenesisBlock } from '../../src/block/blockCreator.js';
import { BlockCutter, messageSizeBytes } from '../../src/block/blockCutter.js';
import { BlockMetadataWriter } from '../../src/block/blockMetadata.js';
import { decodeBlock, encodeBlock } from '../../src/block/codec/block.js';
import { encodeSerializedIdentity } from '../../src/block/codec/common.js';
import { computeTxId, createSignedEnvelope } from '../../src/block/envelopeBuilder.js';
import { readEnvelopeFields } from '../../src/block/envelopeFields.js';
import { headerHash } from '../../src/block/headerHash.js';
import { HeaderType, type Block } from '../../src/block/model.js';
import { runVerifyLedger } from '../../src/cli/verifyLedgerCommand.js';
import { hex, ledgerBadDir, readLedgerBlocks, readManifest } from './fixtures.js';

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function buildLedger(engine: Engine, algorithm: SignatureAlgorithm, hash: HashAlgorithm): Block[] {
  const provider = createCryptoProvider(engine);
  const hasher = provider.hasher(hash);
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm, provider });
  const ordererOrg = new DevOrganization({ mspId: 'OrdererMSP', algorithm, provider });
  const client = org.issueMember('user1');
  const orderer = ordererOrg.issueMember('orderer0');
  const clientIdentity = { signer: client.signer, serializedIdentity: encodeSerializedIdentity({ mspid: client.mspId, idBytes: client.idBytes }) };
  const ordererIdentity = { signer: orderer.signer, serializedIdentity: encodeSerializedIdentity({ mspid: orderer.mspId, idBytes: orderer.idBytes }) };

  const genesis = createGenesisBlock(hasher, createSignedEnvelope({ type: HeaderType.CONFIG, channelId: 'gmchannel', data: Uint8Array.of(1, 2, 3) }));
  const creator = new BlockCreator(hasher, genesis.header);
  const writer = new BlockMetadataWriter({ identity: ordererIdentity, lastConfigBlockNumber: 0 });
  const cutter = new BlockCutter<Uint8Array>({ maxMessageCount: 3, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 }, (e) =>
    messageSizeBytes(readEnvelopeFields(e)),
  );
  const blocks: Block[] = [genesis];
  const emit = (batch: readonly Uint8Array[], raftIndex: number) =>
    blocks.push(writer.write(creator.createNextBlock(batch), { consenterIds: [1, 2, 3], nextConsenterId: 4, raftIndex }));

  for (let i = 0; i < 7; i++) {
    const nonce = new Uint8Array(24).fill(i);
    const txId = computeTxId(provider.hasher('sha256'), nonce, clientIdentity.serializedIdentity);
    const envelope = createSignedEnvelope({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: 'gmchannel',
      data: new Uint8Array(100).fill(i),
      creator: clientIdentity,
      txId,
      nonce,
    });
    for (const batch of cutter.ordered(envelope).batches) emit(batch, blocks.length + 2);
  }
  emit(cutter.cut(), blocks.length + 2);
  return blocks;
}

function writeLedger(blocks: readonly Block[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gm-ledger-'));
  tmpDirs.push(dir);
  blocks.forEach((b, i) => writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}.block`), encodeBlock(b)));
  return dir;
}

function verify(dir: string, engine: Engine, hash: HashAlgorithm) {
  const out: string[] = [];
  const code = runVerifyLedger([dir, '--engine', engine, '--hash', hash], { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out };
}

const suites: Array<[SignatureAlgorithm, HashAlgorithm]> = [
  ['sm2', 'sm3'],
  ['ecdsa-p256', 'sha256'],
];

for (const [algorithm, hash] of suites) {
  for (const builder of ['native', 'native-free'] as const) {
    describe(`${algorithm}/${hash} ledger built with the ${builder} engine`, () => {
      const blocks = buildLedger(builder, algorithm, hash);

      it('cuts 7 transactions into blocks of 3, 3, 1 after the genesis block', () => {
        expect(blocks.map((b) => b.data.length)).toEqual([1, 3, 3, 1]);
        expect(blocks.map((b) => b.header.number)).toEqual([0, 1, 2, 3]);
      });

      it('verifies with both engines, and a flipped signature byte is caught at its block and tx', () => {
        const dir = writeLedger(blocks);
        for (const verifier of ['native', 'native-free'] as const) {
          const good = verify(dir, verifier, hash);
          expect(good.code, good.out.join('\n')).toBe(0);
          expect(good.out.at(-1)).toBe('4 blocks verified: all OK');
        }
        const block = blocks[2]!;
        const env = block.data[1]!;
        const f = readEnvelopeFields(env);
        const tampered = Uint8Array.from(env);
        tampered[f.signature.byteOffset - env.byteOffset + 12]! ^= 0x40;
        // Keep the data hash right so that only the signature is wrong.
        const data = block.data.map((d, i) => (i === 1 ? tampered : d));
        const rebuilt = new BlockCreator(createCryptoProvider(builder).hasher(hash), blocks[1]!.header).createNextBlock(data);
        const tamperedDir = writeLedger([blocks[0]!, blocks[1]!, { ...block, header: rebuilt.header, data }]);
        const bad = verify(tamperedDir, builder === 'native' ? 'native-free' : 'native', hash);
        expect(bad.code).toBe(1);
        expect(bad.out.find((l) => l.startsWith('block    2'))).toMatch(/FAIL .*bad signature in tx 1 \(creator Org1MSP\).*bad orderer signature 0/);
      });

      it('has the same header hashes under both engines', () => {
        const other = createCryptoProvider(builder === 'native' ? 'native-free' : 'native').hasher(hash);
        const own = createCryptoProvider(builder).hasher(hash);
        for (const b of blocks) expect(hex(headerHash(other, b.header))).toBe(hex(headerHash(own, b.header)));
      });
    });
  }
}

describe('createGenesisBlock', () => {
  it("lays out a genesis block as Fabric's genesis factory does (real ledger-bad block 0)", () => {
    const real = decodeBlock(readLedgerBlocks(ledgerBadDir)[0]!);
    const sha256 = createCryptoProvider('native').hasher('sha256');
    const ours = createGenesisBlock(sha256, real.data[0]!);
    expect(ours.header.number).toBe(0);
    expect(ours.header.previousHash.length).toBe(0);
    // ledger-bad's stored data hash was tampered with; ours is the true one.
    expect(hex(ours.header.dataHash)).toBe(readManifest(ledgerBadDir)[0]!.computedDataHash);
    expect(hex(ours.metadata[0]!)).toBe(hex(real.metadata[0]!));
    expect(hex(ours.metadata[1]!)).toBe(hex(real.metadata[1]!));
  });
});
