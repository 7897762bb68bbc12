// BlockApplier over real storage: a committed entry's tx ids come from the
// entry (the leader put them there), not from parsing its envelopes again; an
// entry written before tx ids were carried (a bare block) still applies, its
// tx ids read from the block; the written block's header and data are what
// encodeBlock writes, whether the entry's bytes were reused or re-marshaled;
// the blocks applied in one go are signed in batches (one compute call each),
// every block over its own header and metadata; past what the pool holds,
// blocks are signed on the calling thread instead of waiting for the pool.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BlockCreator,
  blockBytesBeforeMetadata,
  createGenesisBlock,
  createSignedEnvelope,
  decodeBlock,
  encodeBlock,
  encodeBlockEntry,
  encodeSerializedIdentity,
  HeaderType,
  headerHash,
  LedgerVerifier,
  createCreatorKeyResolver,
  readBlockSignatures,
  readTxIds,
} from '../../src/block/index.js';
import { InThreadCompute, type ChainCompute } from '../../src/chain/index.js';
import { BlockApplier, SIGNING_BATCH_MAX, SIGNING_IN_FLIGHT_MAX, UNWRITTEN_MAX } from '../../src/chain/order/blockApplier.js';
import { ChainMetrics } from '../../src/chain/metrics.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { EntryType, type Entry } from '../../src/raft/index.js';
import { ledgerBlockFromFabric, openWalEnvironment, type WalEnvironment } from '../../src/storage/index.js';

const CHANNEL = 'applier-test';
const logger = pino({ level: 'silent' });
const provider = createCryptoProvider('native');
const hasher = provider.hasher('sha256');
const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
const member = org.issueMember('orderer1');
const identity = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
const client = org.issueMember('client1');
const creator = { signer: client.signer, serializedIdentity: encodeSerializedIdentity({ mspid: client.mspId, idBytes: client.idBytes }) };

const dirs: string[] = [];
const envs: WalEnvironment[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) await env.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function setUp(
  engine: 'native' | 'native-free',
  wrapCompute: (compute: ChainCompute) => ChainCompute = (compute) => compute,
  hashesOf: (txIds: readonly string[]) => Int32Array | undefined = () => undefined,
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'applier-test-'));
  dirs.push(dir);
  const env = openWalEnvironment({ dir, engine, logger });
  envs.push(env);
  const storage = env.channel(CHANNEL);
  const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new TextEncoder().encode('genesis config') });
  const genesis = createGenesisBlock(hasher, config);
  await storage.ledger.append(ledgerBlockFromFabric(encodeBlock(genesis), hasher, 0));
  const committed: { number: number; txIds: readonly string[] }[] = [];
  const failures: unknown[] = [];
  const applier = new BlockApplier({
    channelId: CHANNEL,
    ledger: storage.ledger,
    raftStorage: storage.raft,
    hasher,
    compute: wrapCompute(new InThreadCompute(identity)),
    consenterIds: [1],
    snapshotIntervalSizeBytes: 1 << 30,
    logger,
    metrics: new ChainMetrics(new Registry(), CHANNEL),
    confState: () => ({ voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }),
    fail: (err) => failures.push(err),
    catchUp: undefined,
    onTxIds: (number, txIds) => {
      committed.push({ number, txIds });
      return hashesOf(txIds);
    },
  });
  const creatorOfBlocks = new BlockCreator(hasher, genesis.header);
  const envelopes = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, creator, txId: `tx-${++txSeq}`, data: new Uint8Array(1000).fill(i) }),
    );
  return { storage, applier, committed, failures, dir, env, nextBlock: (n: number) => creatorOfBlocks.createNextBlock(envelopes(n)) };
}

let txSeq = 0;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const entry = (index: number, data: Uint8Array): Entry => ({ index, term: 1, type: EntryType.Normal, data });

describe('BlockApplier (native storage): a block is written once', () => {
  it('the ledger stores a block from a persisted entry as a reference to that entry and its own signed tail', async () => {
    const { storage, applier, failures, nextBlock, dir, env } = await setUp('native');
    const envelopes = 20;
    const block = nextBlock(envelopes);
    const data = encodeBlockEntry(block, readTxIds(block.data, 'BAD_BLOCK'));
    // As the Ready loop does: the entry is durable before it is applied.
    await storage.raft.persistReady({ entries: [entry(1, data)], hardState: { term: 1, vote: 1, commit: 1 } });
    applier.applyEntry(entry(1, data));
    await applier.whenWritten();
    await storage.ledger.waitForBlock(1);
    expect(failures).toEqual([]);
    const written = storage.ledger.block(1).bytes;
    expect(decodeBlock(written).data.map(hex)).toEqual(block.data.map(hex));
    await env.close();
    const root = open<Buffer, string>({ path: dir, maxDbs: 8, encoding: 'binary', readOnly: true });
    const record = root.openDB<Buffer, [string, number]>({ name: 'ledger-blocks', encoding: 'binary' }).get([CHANNEL, 1]);
    await root.close();
    // The envelopes (20 x ~1 KiB here) are not in the block's record: only its head, signed metadata and the reference.
    expect(record!.length).toBeLessThan(written.length - envelopes * 900);
  });
});

describe('BlockApplier: signing in batches', () => {
  it('signs the blocks applied in one go in one compute call each SIGNING_BATCH_MAX blocks, every block with its own signature', async () => {
    const batches: number[] = [];
    const { storage, applier, failures, nextBlock } = await setUp('native', (inner) => ({
      ...inner,
      verifyBatch: (context, envelopes) => inner.verifyBatch(context, envelopes),
      blockEntry: (...args) => inner.blockEntry(...args),
      ordererIdentity: () => inner.ordererIdentity(),
      signBlocks: (blocks) => {
        batches.push(blocks.length);
        return inner.signBlocks(blocks);
      },
    }));
    const count = SIGNING_BATCH_MAX + 4;
    const entries = Array.from({ length: count }, (_, i) => {
      const block = nextBlock(2);
      return entry(1 + i, encodeBlockEntry(block, readTxIds(block.data, 'BAD_BLOCK')));
    });
    await storage.raft.persistReady({ entries, hardState: { term: 1, vote: 1, commit: count } });
    // As the Ready loop applies a Ready's committed entries: one after the other, without a wait between them.
    for (const e of entries) applier.applyEntry(e);
    await applier.whenWritten();
    await storage.ledger.waitForBlock(count);
    expect(failures).toEqual([]);
    expect(batches).toEqual([SIGNING_BATCH_MAX, 4]);
    // The hash chain holds and each block carries a signature over its own header and metadata, and its own raft index.
    const verifier = new LedgerVerifier({ hasher, verifier: (a) => provider.verifier(a), creatorKey: createCreatorKeyResolver() });
    for (let n = 0; n <= count; n++) expect(verifier.verifyBlock(storage.ledger.block(n).bytes).failures).toEqual([]);
    for (let n = 1; n <= count; n++) expect(readBlockSignatures(decodeBlock(storage.ledger.block(n).bytes)).etcdraft?.raftIndex).toBe(n);
  });
});

describe('BlockApplier: a pool that does not answer', () => {
  it('past SIGNING_IN_FLIGHT_MAX blocks in the pool, signs on the calling thread without waiting, up to UNWRITTEN_MAX unwritten; blocks are appended in order', async () => {
    const pool: { blocks: number; release: () => void }[] = [];
    let answering = false;
    let here = 0;
    const { storage, applier, failures, nextBlock } = await setUp('native', (inner) => ({
      verifyBatch: (context, envelopes) => inner.verifyBatch(context, envelopes),
      blockEntry: (...args) => inner.blockEntry(...args),
      ordererIdentity: () => inner.ordererIdentity(),
      // A pool whose threads get no CPU for now: its signing settles only when released.
      signBlocks: (blocks) => {
        const signed = inner.signBlocks(blocks);
        return answering ? signed : new Promise((resolve) => pool.push({ blocks: blocks.length, release: () => resolve(signed) }));
      },
      signBlocksHere: (blocks) => {
        here += blocks.length;
        return inner.signBlocksHere!(blocks);
      },
    }));
    const count = UNWRITTEN_MAX + 8;
    const entries = Array.from({ length: count }, (_, i) => {
      const block = nextBlock(1);
      return entry(1 + i, encodeBlockEntry(block, readTxIds(block.data, 'BAD_BLOCK')));
    });
    await storage.raft.persistReady({ entries, hardState: { term: 1, vote: 1, commit: count } });
    // As the Ready loop applies: room() before each entry, applied while there is room.
    let applied = 0;
    while (applied < count && applier.room() === undefined) applier.applyEntry(entries[applied++]!);
    expect(applied).toBe(UNWRITTEN_MAX);
    await Promise.resolve();
    expect(pool.reduce((sum, task) => sum + task.blocks, 0)).toBe(SIGNING_IN_FLIGHT_MAX);
    expect(here).toBe(UNWRITTEN_MAX - SIGNING_IN_FLIGHT_MAX);
    // Nothing after the pool's blocks is appended before them.
    expect(storage.ledger.height).toBe(1);
    answering = true;
    for (const task of pool.splice(0)) task.release();
    await applier.room();
    while (applied < count) {
      await applier.room();
      applier.applyEntry(entries[applied++]!);
    }
    await applier.whenWritten();
    await storage.ledger.waitForBlock(count);
    expect(failures).toEqual([]);
    const verifier = new LedgerVerifier({ hasher, verifier: (a) => provider.verifier(a), creatorKey: createCreatorKeyResolver() });
    for (let n = 0; n <= count; n++) expect(verifier.verifyBlock(storage.ledger.block(n).bytes).failures).toEqual([]);
    for (let n = 1; n <= count; n++) expect(readBlockSignatures(decodeBlock(storage.ledger.block(n).bytes)).etcdraft?.raftIndex).toBe(n);
  });
});

describe('BlockApplier: a snapshot asked for at an index the stored snapshot already covers', () => {
  it('is not taken, and the chain does not halt (a wiped node whose first received snapshot changed the voters)', async () => {
    const { storage, applier, failures } = await setUp('native');
    const voters = { voters: [1, 3, 4], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const received = { data: storage.ledger.block(0).bytes, metadata: { confState: voters, index: 111, term: 3 } };
    await storage.raft.persistReady({ snapshot: received, entries: [], hardState: { term: 3, vote: 0, commit: 111 } });
    // The voter change seen with that snapshot asks for one at what was applied before it: index 0, block 0.
    applier.snapshotNow(0);
    await applier.whenWritten();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures).toEqual([]);
    expect(storage.raft.snapshot().metadata.index).toBe(111);
  });
});

describe.each(['native', 'native-free'] as const)('BlockApplier (%s storage)', (engine) => {
  it('indexes the tx ids the entry carries, without reading them from the envelopes', async () => {
    const { storage, applier, committed, failures, nextBlock } = await setUp(engine);
    const block = nextBlock(3);
    // Not the envelopes' own tx ids: what the applier indexes can only have come from the entry.
    const carried = ['carried-a', 'carried-b', ''];
    expect(readTxIds(block.data, 'BAD_BLOCK')).not.toEqual(carried);
    expect(applier.applyEntry(entry(5, encodeBlockEntry(block, carried)))?.number).toBe(1);
    await applier.whenWritten();
    await storage.ledger.waitForBlock(1);
    expect(failures).toEqual([]);
    expect(committed).toEqual([{ number: 1, txIds: carried }]);
    expect(storage.ledger.txLocation('carried-b')).toEqual({ blockNumber: 1, position: 1 });
    // The ledger holds Fabric's block: the same header and data, this node's signature in the metadata.
    const written = decodeBlock(storage.ledger.block(1).bytes);
    expect(headerHash(hasher, written.header)).toEqual(headerHash(hasher, block.header));
    expect(written.data.map(hex)).toEqual(block.data.map(hex));
  });

  it("hands the tx ids' hashes the duplicate check computed on to the ledger's index with the block", async () => {
    // A hash no tx id has: the index can only find the id under it if the applier carried it.
    const carriedHash = 424242;
    const { storage, applier, failures, nextBlock } = await setUp(engine, undefined, (txIds) => Int32Array.from(txIds, () => carriedHash));
    expect(storage.ledger.txLocation('built-before')).toBeUndefined(); // the index exists: blocks join it as they commit
    const block = nextBlock(1);
    applier.applyEntry(entry(5, encodeBlockEntry(block, ['carried'])));
    await applier.whenWritten();
    await storage.ledger.waitForBlock(1);
    expect(failures).toEqual([]);
    expect(storage.ledger.txLocation('carried')).toBeUndefined();
    expect(storage.ledger.txLocation('carried', carriedHash)).toEqual({ blockNumber: 1, position: 0 });
  });

  it('applies an entry written before tx ids were carried (a bare block), reading its tx ids from the envelopes', async () => {
    const { storage, applier, committed, failures, nextBlock } = await setUp(engine);
    const block = nextBlock(2);
    applier.applyEntry(entry(5, encodeBlock(block)));
    await applier.whenWritten();
    await storage.ledger.waitForBlock(1);
    expect(failures).toEqual([]);
    const txIds = readTxIds(block.data, 'BAD_BLOCK');
    expect(txIds.every((id) => id.length > 0)).toBe(true);
    expect(committed).toEqual([{ number: 1, txIds }]);
    expect(storage.ledger.txLocation(txIds[1]!)).toEqual({ blockNumber: 1, position: 1 });
  });

  it.each([
    ['as encodeBlock writes it (its bytes are reused)', (bytes: Uint8Array) => bytes],
    // Field 9, unknown to Block, ahead of the metadata: decodes to the same block, and is not what encodeBlock writes.
    [
      'with an unknown field (re-marshaled)',
      (bytes: Uint8Array) => {
        const at = blockBytesBeforeMetadata(bytes);
        return Buffer.concat([bytes.subarray(0, at), Uint8Array.of(0x4a, 1, 7), bytes.subarray(at)]);
      },
    ],
  ])('writes the header and data as encodeBlock marshals them, from an entry block %s', async (_, marshal) => {
    const { storage, applier, failures, nextBlock } = await setUp(engine);
    const block = nextBlock(3);
    const data = marshal(encodeBlock(block));
    await storage.raft.persistReady({ entries: [entry(1, data)], hardState: { term: 1, vote: 1, commit: 1 } });
    applier.applyEntry(entry(1, data));
    await applier.whenWritten();
    await storage.ledger.waitForBlock(1);
    expect(failures).toEqual([]);
    const written = storage.ledger.block(1).bytes;
    const decoded = decodeBlock(written);
    expect(hex(written)).toBe(hex(encodeBlock(decoded)));
    expect(hex(written.subarray(0, blockBytesBeforeMetadata(written)))).toBe(
      hex(encodeBlock({ ...block, metadata: [] }).subarray(0, blockBytesBeforeMetadata(encodeBlock(block)))),
    );
    expect(decoded.metadata.length).toBeGreaterThan(0);
  });

  it('refuses an entry whose tx ids do not match its envelopes', async () => {
    const { applier, committed, nextBlock } = await setUp(engine);
    const block = nextBlock(2);
    const data = encodeBlockEntry({ ...block, data: block.data.slice(0, 1) }, ['only-one']);
    // The tx ids were written for a one-envelope block; splice them in front of the two-envelope block.
    const prefixLength = data.length - encodeBlock({ ...block, data: block.data.slice(0, 1) }).length;
    const mismatched = Buffer.concat([data.subarray(0, prefixLength), encodeBlock(block)]);
    expect(() => applier.applyEntry(entry(5, mismatched))).toThrow(/carries 1 tx ids for the 2 envelopes of block 1/);
    expect(committed).toEqual([]);
  });
});
