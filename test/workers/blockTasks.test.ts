// hashBlock, marshalBlock and signBlock through the real pool, compared with
// the block layer called in this thread and with the real Fabric ledger.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlockCreator,
  HeaderType,
  LedgerVerifier,
  createCreatorKeyResolver,
  createGenesisBlock,
  createSignedEnvelope,
  dataHash,
  decodeBlock,
  decodeBlockEntry,
  encodeBlock,
  encodeBlockEntry,
  encodeSerializedIdentity,
  headerHash,
  readBlockSignatures,
  readLastConfigEntry,
} from '../../src/block/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../../src/crypto/types.js';
import { WorkerPool, WorkerTaskError, buildBlockEntry, hashBlockData, type ContextHandle } from '../../src/workers/index.js';
import { hex, ledgerSampleDir, readLedgerBlocks, readManifest } from '../block/fixtures.js';
import { CHANNEL, signedEnvelope, testChannel } from './fixtures.js';

const ENGINES: readonly Engine[] = ['native', 'native-free'];
const SUITES: readonly [SignatureAlgorithm, HashAlgorithm][] = [
  ['ecdsa-p256', 'sha256'],
  ['sm2', 'sm3'],
];

let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool({ maxThreads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const sampleBytes = readLedgerBlocks(ledgerSampleDir);
const sample = sampleBytes.map((b) => decodeBlock(b));
const manifest = readManifest(ledgerSampleDir);

describe.each(ENGINES)('block tasks, %s engine', (engine) => {
  it("hashBlock gives the real Fabric ledger's data and header hashes", async () => {
    for (const [i, block] of sample.entries()) {
      const hashes = await pool.hashBlock({
        engine,
        hashAlgorithm: 'sha256',
        number: block.header.number,
        previousHash: block.header.previousHash,
        data: block.data,
      });
      expect(hex(hashes.dataHash)).toBe(manifest[i]!.computedDataHash);
      expect(hex(hashes.headerHash)).toBe(manifest[i]!.headerHash);
    }
  });

  it.each(['sha256', 'sm3'] as const)("dataHash equals the in-thread data hash with %s, and the real ledger's", async (hashAlgorithm) => {
    const data = [new Uint8Array(5000).fill(1), new Uint8Array(0), new Uint8Array(17).fill(2)];
    expect(hex(await pool.dataHash(engine, hashAlgorithm, data))).toBe(hex(dataHash(createCryptoProvider(engine).hasher(hashAlgorithm), data)));
    if (hashAlgorithm === 'sha256') {
      const hashes = await Promise.all(sample.map((block) => pool.dataHash(engine, 'sha256', block.data)));
      expect(hashes.map(hex)).toEqual(manifest.map((m) => m.computedDataHash));
    }
  });

  it.each(['sha256', 'sm3'] as const)('hashBlock equals the in-thread hashes with %s', async (hashAlgorithm) => {
    const hasher = createCryptoProvider(engine).hasher(hashAlgorithm);
    const data = [new Uint8Array(0), new Uint8Array(3000).fill(7), new TextEncoder().encode('envelope')];
    const previousHash = new Uint8Array(32).fill(9);
    const pooled = await pool.hashBlock({ engine, hashAlgorithm, number: 300, previousHash, data });
    const expectedDataHash = dataHash(hasher, data);
    expect(hex(pooled.dataHash)).toBe(hex(expectedDataHash));
    expect(hex(pooled.headerHash)).toBe(hex(headerHash(hasher, { number: 300, previousHash, dataHash: expectedDataHash })));
    expect(hashBlockData(engine, hashAlgorithm, 300, previousHash, data)).toEqual(pooled);
  });

  it.each(['sha256', 'sm3'] as const)(
    "blockEntry gives the creator's block behind its tx ids, as encodeBlockEntry does in-thread, with %s",
    async (hashAlgorithm) => {
      const hasher = createCryptoProvider(engine).hasher(hashAlgorithm);
      const data = [new Uint8Array(3000).fill(7), new Uint8Array(0), new TextEncoder().encode('envelope')];
      const txIds = ['tx-a', '', 'tx-ü'];
      const creator = new BlockCreator(hasher, { number: 41, previousHash: new Uint8Array(32).fill(3), dataHash: new Uint8Array(32).fill(4) });
      const start = creator.nextHeaderStart();
      const built = await pool.blockEntry({ engine, hashAlgorithm, number: start.number, previousHash: start.previousHash, data, txIds });
      const expected = creator.createNextBlock(data);
      expect(hex(built.dataHash)).toBe(hex(expected.header.dataHash));
      expect(hex(built.entry)).toBe(hex(encodeBlockEntry(expected, txIds)));
      expect(decodeBlockEntry(built.entry).txIds).toEqual(txIds);
      // The entry owns its buffer (transferred from the worker, nothing else shares it).
      expect(built.entry.byteLength).toBe(built.entry.buffer.byteLength);
      expect(buildBlockEntry(engine, hashAlgorithm, start, data, txIds)).toEqual(built);
    },
  );

  it('blockEntry of each real Fabric block carries its original header and data', async () => {
    for (const block of sample.slice(1)) {
      const txIds = block.data.map((_, i) => `tx ${i}`);
      const built = await pool.blockEntry({
        engine,
        hashAlgorithm: 'sha256',
        number: block.header.number,
        previousHash: block.header.previousHash,
        data: block.data,
        txIds,
      });
      const decoded = decodeBlock(decodeBlockEntry(built.entry).block);
      expect(hex(encodeBlock({ ...decoded, metadata: block.metadata }))).toBe(hex(encodeBlock(block)));
    }
  });

  it('marshalBlock re-encodes every real Fabric block to its original bytes', async () => {
    const marshaled = await Promise.all(sample.map((block) => pool.marshalBlock(block)));
    marshaled.forEach((bytes, i) => {
      expect(hex(bytes)).toBe(hex(sampleBytes[i]!));
      expect(hex(bytes)).toBe(hex(encodeBlock(sample[i]!)));
    });
  });

  describe.each(SUITES)('signBlock with %s / %s', (algorithm, hashAlgorithm) => {
    const provider = createCryptoProvider(engine);
    const hasher = provider.hasher(hashAlgorithm);
    const ordererOrg = new DevOrganization({ mspId: 'OrdererMSP', algorithm, provider: createCryptoProvider('native') });
    const orderer = ordererOrg.issueMember('orderer0');
    const serializedIdentity = encodeSerializedIdentity({ mspid: orderer.mspId, idBytes: orderer.idBytes });
    const client = testChannel(algorithm).org1.issueMember('Client');
    let signer: ContextHandle<'signer'>;
    beforeAll(async () => {
      signer = await pool.registerSigner({ engine, algorithm, privateKeyPem: orderer.signer.exportPrivateKeyPem(), serializedIdentity });
    });

    it("fills the metadata as Fabric's BlockWriter and signs with the registered key", async () => {
      const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new Uint8Array(16) });
      const genesis = createGenesisBlock(hasher, config);
      const creator = new BlockCreator(hasher, genesis.header);
      const block1 = creator.createNextBlock([signedEnvelope(client, 'tx-1'), signedEnvelope(client, 'tx-2')]);
      const consenterMetadata = { consenterIds: [1, 2, 3], nextConsenterId: 4, raftIndex: 17 };
      const signed = await pool.signBlock(signer, block1, { lastConfigBlockNumber: 0, consenterMetadata });
      expect(signed.lastConfigBlockNumber).toBe(0);

      const decoded = decodeBlock(signed.bytes);
      expect(decoded.header).toEqual(block1.header);
      expect(decoded.data.map(hex)).toEqual(block1.data.map(hex));
      expect(readLastConfigEntry(decoded)).toBe(0);
      const info = readBlockSignatures(decoded);
      expect(info.lastConfigIndex).toBe(0);
      expect(info.etcdraft).toEqual(consenterMetadata);
      expect(info.signedData).toHaveLength(1);
      expect(hex(info.signedData[0]!.creator)).toBe(hex(serializedIdentity));
      expect(provider.verifier(algorithm).verify(orderer.signer.publicKey, info.signedData[0]!.data, info.signedData[0]!.signature)).toBe(true);

      // The whole chain (genesis, then the pool-signed block) passes the ledger verifier.
      const verifier = new LedgerVerifier({ hasher, verifier: (a) => provider.verifier(a), creatorKey: createCreatorKeyResolver() });
      expect(verifier.verifyBlock(encodeBlock(genesis)).failures).toEqual([]);
      expect(verifier.verifyBlock(signed.bytes).failures).toEqual([]);
    });

    it('a config block becomes its own last config', async () => {
      const creator = new BlockCreator(hasher, { number: 4, previousHash: new Uint8Array(32), dataHash: new Uint8Array(32) });
      const configBlock = creator.createNextBlock([
        createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new Uint8Array(8), creator: { signer: client.signer, serializedIdentity } }),
      ]);
      const signed = await pool.signBlock(signer, configBlock, { lastConfigBlockNumber: 2, consenterMetadata: undefined });
      expect(signed.lastConfigBlockNumber).toBe(5);
      const info = readBlockSignatures(decodeBlock(signed.bytes));
      expect(info.lastConfigIndex).toBe(5);
      expect(info.etcdraft).toBeUndefined();
    });

    it("signs several blocks in one task, each signature over its own block's header and metadata", async () => {
      const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new Uint8Array(16) });
      const genesis = createGenesisBlock(hasher, config);
      const creator = new BlockCreator(hasher, genesis.header);
      const configEnvelope = (tag: number) =>
        createSignedEnvelope({
          type: HeaderType.CONFIG,
          channelId: CHANNEL,
          data: new Uint8Array([tag]),
          creator: { signer: orderer.signer, serializedIdentity },
        });
      const blocks = [
        creator.createNextBlock([signedEnvelope(client, 'batch-1'), signedEnvelope(client, 'batch-2')]),
        creator.createNextBlock([configEnvelope(2)]),
        creator.createNextBlock([signedEnvelope(client, 'batch-3')]),
      ];
      const metadataOf = (i: number) => ({ consenterIds: [1, 2, 3], nextConsenterId: 4, raftIndex: 20 + i });
      const before = pool.stats.completedTasks;
      const signed = await pool.signBlocksMetadata(
        signer,
        blocks.map((block, i) => ({ block, lastConfigBlockNumber: i === 2 ? 2 : 0, consenterMetadata: metadataOf(i) })),
      );
      expect(pool.stats.completedTasks - before).toBe(1);
      expect(signed.map((s) => s.lastConfigBlockNumber)).toEqual([0, 2, 2]);

      const verifier = new LedgerVerifier({ hasher, verifier: (a) => provider.verifier(a), creatorKey: createCreatorKeyResolver() });
      expect(verifier.verifyBlock(encodeBlock(genesis)).failures).toEqual([]);
      blocks.forEach((block, i) => {
        const bytes = encodeBlock({ ...block, metadata: signed[i]!.metadata });
        expect(verifier.verifyBlock(bytes).failures).toEqual([]);
        const info = readBlockSignatures(decodeBlock(bytes));
        expect(info.etcdraft).toEqual(metadataOf(i));
        expect(info.lastConfigIndex).toBe(i === 0 ? 0 : 2);
      });
      // A block's signature is bound to its header: another block's metadata does not verify on it.
      const swapped = readBlockSignatures(decodeBlock(encodeBlock({ ...blocks[0]!, metadata: signed[2]!.metadata })));
      expect(provider.verifier(algorithm).verify(orderer.signer.publicKey, swapped.signedData[0]!.data, swapped.signedData[0]!.signature)).toBe(false);
    });
  });
});

describe('signer registration', () => {
  it("refuses a private key that is not a key, with the crypto layer's code", async () => {
    const registration = pool.registerSigner({ engine: 'native', algorithm: 'ecdsa-p256', privateKeyPem: 'not a pem', serializedIdentity: new Uint8Array(1) });
    await expect(registration).rejects.toBeInstanceOf(WorkerTaskError);
    await expect(registration).rejects.toMatchObject({ code: 'CRYPTO_BAD_ENCODING' });
  });
});
