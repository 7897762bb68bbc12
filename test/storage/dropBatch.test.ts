// A channel drop in the same group-committed batch as writes of the channel
// (the engines must not leave the earlier writes behind) and of other
// channels (they stay), on both engines, through the backend directly: the
// environment never queues such a batch itself (a channel is released, its
// writes settled, before it can be dropped), so this is the engines' own
// guarantee, checked before and after reopening. Also: the engines' drop
// records (LMDB marker, native-free intent file) damaged stop the open.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { FileBackend } from '../../native-free/storage/fileBackend.js';
import { pendingDropsFileName } from '../../native-free/storage/pendingDrops.js';
import type { StorageBackend } from '../../src/storage/backend.js';
import { LmdbBackend } from '../../src/storage/lmdbBackend.js';
import { StorageCorruptError, TX_ID_HORIZON_DEFAULT, type EngineName } from '../../src/storage/index.js';
import type { WalOp } from '../../src/storage/walOps.js';
import { chainBlock, engines, entries, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();

function openBackend(engine: EngineName, dir: string, mustExist: boolean): StorageBackend {
  const txIdHorizon = { txIdsMax: TX_ID_HORIZON_DEFAULT };
  return engine === 'native' ? LmdbBackend.open(dir, { mustExist, txIdHorizon }) : FileBackend.open(dir, { segmentMaxBytes: 1 << 20, mustExist, txIdHorizon });
}

function writesOf(channel: string, blocks: number): WalOp[] {
  const ops: WalOp[] = [{ kind: 'entries', channel, entries: entries(1, blocks + 1, 1), removeFrom: 1, removeTo: 0 }];
  ops.push({ kind: 'hardState', channel, hardState: { term: 1, vote: 1, commit: blocks } });
  for (let n = 0; n < blocks; n++) ops.push({ kind: 'block', channel, block: chainBlock(channel, n) });
  return ops;
}

function expectState(backend: StorageBackend, where: string): void {
  expect(backend.channels().sort(), `${where}: channels`).toEqual(['kept', 'ledger-only']);
  const gone = backend.recoverLog('gone');
  expect([gone.entries.length, gone.hardState.commit, backend.recoverLedger('gone').height], `${where}: gone`).toEqual([0, 0, 0]);
  expect(backend.txLocation('gone', 'gone-tx-0-0'), `${where}: gone txId`).toBeUndefined();
  const ledgerOnly = backend.recoverLog('ledger-only');
  expect([ledgerOnly.entries.length, ledgerOnly.hardState.commit, backend.recoverLedger('ledger-only').height], `${where}: ledger-only`).toEqual([0, 0, 3]);
  expect(backend.txLocation('ledger-only', 'ledger-only-tx-2-0'), `${where}: ledger-only txId`).toEqual({ blockNumber: 2, position: 0 });
  const kept = backend.recoverLog('kept');
  expect([kept.entries.length, kept.hardState.commit, backend.recoverLedger('kept').height], `${where}: kept`).toEqual([3, 3, 3]);
  expect(Buffer.compare(backend.readBlock('kept', 2).bytes, chainBlock('kept', 2).bytes), `${where}: kept block 2`).toBe(0);
}

for (const engine of engines) {
  describe(`a drop inside a batch (${engine})`, () => {
    it("takes the channel's earlier writes of the batch with it and leaves the other channels' writes", async () => {
      const dir = freshDir();
      const backend = openBackend(engine, dir, false);
      // Stored before the batch: part of 'gone' and 'ledger-only'.
      await backend.writeBatch([...writesOf('gone', 2), ...writesOf('ledger-only', 3)]);
      await backend.writeBatch([
        { kind: 'block', channel: 'gone', block: chainBlock('gone', 2) },
        { kind: 'hardState', channel: 'ledger-only', hardState: { term: 2, vote: 1, commit: 3 } },
        ...writesOf('kept', 3),
        { kind: 'dropChannel', channel: 'gone', keepLedger: false },
        { kind: 'dropChannel', channel: 'ledger-only', keepLedger: true },
      ]);
      // Listed no more as soon as the op is durable; what is left on disk goes with finishDrop.
      expect(backend.channels().sort()).toEqual(['kept', 'ledger-only']);
      await backend.finishDrop('gone');
      await backend.finishDrop('ledger-only');
      expectState(backend, 'after the batch');
      await backend.close();
      const reopened = openBackend(engine, dir, true);
      try {
        expectState(reopened, 'reopened');
      } finally {
        await reopened.close();
      }
    });
  });
}

describe('an LMDB drop marker', () => {
  it('that is damaged stops the open naming the channel (neither the ledger nor its summary is guessed away)', async () => {
    const dir = freshDir();
    const backend = openBackend('native', dir, false);
    await backend.writeBatch([...writesOf('x', 2), { kind: 'dropChannel', channel: 'x', keepLedger: true }]);
    await backend.close();
    const raw = openLmdb<Buffer, string>({ path: dir, maxDbs: 8, encoding: 'binary' });
    await raw.openDB<Buffer, [string, string]>({ name: 'channel-meta', encoding: 'binary' }).put(['x', 'dropping'], Buffer.from([9, 9, 9]));
    await raw.close();
    expect(() => openBackend('native', dir, true)).toThrow(StorageCorruptError);
    expect(() => openBackend('native', dir, true)).toThrow(/channel "x", index unknown: dropping: /);
  });
});

describe('the native-free pending-drops intent file', () => {
  it('that is damaged stops the open naming the file', async () => {
    const dir = freshDir();
    const backend = openBackend('native-free', dir, false);
    await backend.writeBatch(writesOf('x', 1));
    await backend.close();
    const file = join(dir, pendingDropsFileName);
    fs.writeFileSync(file, '{"channels": [3]}');
    expect(() => openBackend('native-free', dir, true)).toThrow(StorageCorruptError);
    expect(() => openBackend('native-free', dir, true)).toThrow(
      `storage corrupt at file ${file}, channel unknown, index unknown: pending channel drops must be`,
    );
  });
});
