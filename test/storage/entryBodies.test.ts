// A block from a persisted Raft entry is written once per node: the ledger
// record refers to the entry's body (LMDB) and the block reads back byte for
// byte after compaction, a log reset, a drop that keeps the ledger and a
// restart; a full drop takes the bodies too; a reference is stored only to
// bytes that are on disk and equal; a tx id is located without reading bodies.
// The native-free engine stores the block whole and reads back the same bytes.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { StorageCorruptError, type EngineName, type LedgerBlock, type WalEnvironment } from '../../src/storage/index.js';
import { chainBlock, engines, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();
const CH = 'bodies';
const BODY_BYTES = 64 * 1024;

/** Entry `index`: an 8-byte prefix (as a block entry's tx ids), then the block's shared part. */
function bodyEntry(index: number, term = 1): Entry {
  const data = new Uint8Array(8 + BODY_BYTES);
  data.fill(index % 251, 0, 8);
  data.set(chainBlock(CH, index - 1, { size: BODY_BYTES }).bytes, 8);
  return { index, term, type: EntryType.Normal, data };
}

/** Block n, from entry n + 1: the entry's shared part, then this node's own 100-byte tail. */
function bodyBlock(n: number): LedgerBlock {
  const base = chainBlock(CH, n, { size: BODY_BYTES });
  const bytes = new Uint8Array(BODY_BYTES + 100);
  bytes.set(base.bytes, 0);
  bytes.fill(0xee, BODY_BYTES);
  return { ...base, bytes, entryBody: { offset: 8, length: BODY_BYTES } };
}

/** Persists entries 1..count committed, appends their blocks. */
async function fill(env: WalEnvironment, count: number): Promise<void> {
  const { raft, ledger } = env.channel(CH);
  const entries = Array.from({ length: count }, (_, i) => bodyEntry(i + 1));
  await raft.persistReady({ entries, hardState: { term: 1, vote: 1, commit: count } });
  for (let n = 0; n < count; n++) await ledger.append(bodyBlock(n));
}

function expectBlocks(env: WalEnvironment, count: number): void {
  const { ledger } = env.channel(CH);
  expect(ledger.height).toBe(count);
  for (let n = 0; n < count; n++) expect(Buffer.compare(ledger.block(n).bytes, bodyBlock(n).bytes), `block ${n}`).toBe(0);
}

async function reopened(engine: EngineName, dir: string, check: (env: WalEnvironment) => void | Promise<void>): Promise<void> {
  const env = openEnv(engine, dir);
  try {
    await check(env);
  } finally {
    await env.close();
  }
}

/** Sizes of the values in one of the environment's LMDB databases, opened raw after the environment closed. */
function lmdbValueSizes(dir: string, name: string): number[] {
  const root = open<Buffer, string>({ path: dir, maxDbs: 8, encoding: 'binary', readOnly: true });
  try {
    const db = root.openDB<Buffer, [string, number]>({ name, encoding: 'binary' });
    return [...db.getRange()].map(({ value }) => value.length);
  } finally {
    void root.close();
  }
}

for (const engine of engines) {
  describe(`blocks from persisted entries (${engine})`, () => {
    it('read back byte for byte after compaction past their entries, and after a restart', async () => {
      const dir = freshDir();
      await reopened(engine, dir, async (env) => {
        await fill(env, 8);
        const { raft } = env.channel(CH);
        await raft.takeSnapshot(8, undefined, bodyBlock(7).bytes); // compacts entries 1..4
        expect(raft.firstIndex()).toBe(5);
        expectBlocks(env, 8);
      });
      await reopened(engine, dir, (env) => {
        expect(env.channel(CH).raft.firstIndex()).toBe(5);
        expectBlocks(env, 8);
      });
    });

    it('read back after a snapshot from the leader resets the log, and after a drop that keeps the ledger', async () => {
      const dir = freshDir();
      await reopened(engine, dir, async (env) => {
        await fill(env, 4);
        const snapshot = {
          data: bodyBlock(9).bytes,
          metadata: { index: 10, term: 2, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
        };
        await env.channel(CH).raft.persistReady({ snapshot, entries: [bodyEntry(11, 2)], hardState: { term: 2, vote: 1, commit: 10 } });
        expectBlocks(env, 4);
      });
      await reopened(engine, dir, async (env) => {
        expectBlocks(env, 4);
        expect(env.channel(CH).raft.lastIndex()).toBe(11);
        await env.releaseChannel(CH);
        await env.dropChannel(CH, { keepLedger: true });
      });
      await reopened(engine, dir, (env) => {
        expect(env.channel(CH).raft.lastIndex()).toBe(0);
        expectBlocks(env, 4);
      });
    });
  });
}

describe('blocks from persisted entries (native: LMDB stores each block once)', () => {
  it('the ledger record holds the tail and a reference, not the block again; the body is there once', async () => {
    const dir = freshDir();
    await reopened('native', dir, (env) => fill(env, 3));
    const blockRecords = lmdbValueSizes(dir, 'ledger-blocks');
    expect(blockRecords).toHaveLength(3);
    for (const size of blockRecords) expect(size).toBeLessThan(1024);
    const bodies = lmdbValueSizes(dir, 'raft-entry-bodies');
    expect(bodies).toHaveLength(3);
    for (const size of bodies) expect(size).toBeGreaterThan(BODY_BYTES);
    for (const size of lmdbValueSizes(dir, 'raft-entries')) expect(size).toBeLessThan(64);
  });

  it('a block is stored whole when the entry body it names is not on disk or holds other bytes', async () => {
    const dir = freshDir();
    await reopened('native', dir, async (env) => {
      const { raft, ledger } = env.channel(CH);
      await raft.persistReady({ entries: [bodyEntry(1)], hardState: { term: 1, vote: 1, commit: 2 } });
      // Block 0 names entry 1's body but differs from it in its last shared byte.
      const other = bodyBlock(0);
      const bytes = Uint8Array.from(other.bytes);
      bytes[BODY_BYTES - 1] = (bytes[BODY_BYTES - 1]! + 1) % 256;
      await ledger.append({ ...other, bytes });
      // Block 1 names entry 2, which this node never persisted.
      await ledger.append(bodyBlock(1));
      expect(Buffer.compare(ledger.block(0).bytes, bytes)).toBe(0);
    });
    for (const size of lmdbValueSizes(dir, 'ledger-blocks')) expect(size).toBeGreaterThan(BODY_BYTES);
    await reopened('native', dir, (env) => expect(Buffer.compare(env.channel(CH).ledger.block(1).bytes, bodyBlock(1).bytes)).toBe(0));
  });

  it('a full drop removes the bodies; a drop that keeps the ledger removes only those above its last block', async () => {
    const dir = freshDir();
    await reopened('native', dir, async (env) => {
      await fill(env, 3);
      // Entries 4 and 5 persisted, not applied: their bodies belong to the Raft log alone.
      await env.channel(CH).raft.persistReady({ entries: [bodyEntry(4), bodyEntry(5)] });
      await env.releaseChannel(CH);
      await env.dropChannel(CH, { keepLedger: true });
    });
    expect(lmdbValueSizes(dir, 'raft-entry-bodies')).toHaveLength(3);
    await reopened('native', dir, async (env) => {
      expectBlocks(env, 3);
      await env.releaseChannel(CH);
      await env.dropChannel(CH, { keepLedger: false });
    });
    expect(lmdbValueSizes(dir, 'raft-entry-bodies')).toHaveLength(0);
  });

  it('a missing body stops the read of its block, naming the channel and the entry', async () => {
    const dir = freshDir();
    await reopened('native', dir, async (env) => {
      await fill(env, 6);
      await env.channel(CH).raft.takeSnapshot(6, undefined, bodyBlock(5).bytes); // compacts entries 1 and 2
    });
    const root = open<Buffer, string>({ path: dir, maxDbs: 8, encoding: 'binary' });
    await root.openDB<Buffer, [string, number]>({ name: 'raft-entry-bodies', encoding: 'binary' }).remove([CH, 1]);
    await root.close();
    await reopened('native', dir, (env) => {
      const read = () => env.channel(CH).ledger.block(0);
      expect(read).toThrow(StorageCorruptError);
      expect(read).toThrow(/channel "bodies", raft index 1: entry body missing/);
      expect(Buffer.compare(env.channel(CH).ledger.block(1).bytes, bodyBlock(1).bytes)).toBe(0);
    });
    expect(fs.existsSync(join(dir, 'data.mdb'))).toBe(true);
  });

  it('a tx id is located from its block record alone: the entry body is not read, so a missing one does not stop the lookup', async () => {
    const dir = freshDir();
    await reopened('native', dir, async (env) => {
      await fill(env, 6);
      await env.channel(CH).raft.takeSnapshot(6, undefined, bodyBlock(5).bytes); // compacts entries 1 and 2
    });
    const root = open<Buffer, string>({ path: dir, maxDbs: 8, encoding: 'binary' });
    await root.openDB<Buffer, [string, number]>({ name: 'raft-entry-bodies', encoding: 'binary' }).remove([CH, 1]);
    await root.close();
    await reopened('native', dir, (env) => {
      const { ledger } = env.channel(CH);
      expect(() => ledger.block(0)).toThrow(/raft index 1: entry body missing/);
      // The index's first build reads every block's tx ids, the lookup confirms block 0's: neither needs the body.
      expect(ledger.txLocation(bodyBlock(0).txIds[1]!)).toEqual({ blockNumber: 0, position: 1 });
      expect(ledger.txLocation(bodyBlock(4).txIds[0]!)).toEqual({ blockNumber: 4, position: 0 });
      expect(ledger.txLocation('no-such-tx')).toBeUndefined();
    });
  });

  it('a truncation reaching an entry already in the ledger fails the write instead of changing a stored block', async () => {
    const dir = freshDir();
    await reopened('native', dir, async (env) => {
      await fill(env, 3);
      // A (buggy) conflicting append at index 2, below the ledger's last Raft index 3.
      await expect(env.channel(CH).raft.persistReady({ entries: [bodyEntry(2, 9)] })).rejects.toThrow(/reaches entry 3, already in the ledger/);
    });
  });
});
