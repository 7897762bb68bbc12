// The Raft id record of a channel (re-onboarding: the id a config block gave
// this node, recorded before Raft runs under it), on both engines: durable
// across a reopen (and a native-free WAL checkpoint), dropped with the Raft
// state (the ledger kept or not), absent after a drop that no record followed
// (a crash between the two), and refused when it is no Raft id.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmentPath } from '../../native-free/storage/segmentFiles.js';
import type { EngineName, RaftIdRecord, WalEnvironment } from '../../src/storage/index.js';
import { chainBlock, engines, entry, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();

const record: RaftIdRecord = { raftId: 4, configBlock: new Uint8Array([8, 1, 2, 3, 250]) };

async function reopened<T>(engine: EngineName, dir: string, read: (env: WalEnvironment) => T, segmentMaxBytes?: number): Promise<T> {
  const env = openEnv(engine, dir, { segmentMaxBytes });
  try {
    return read(env);
  } finally {
    await env.close();
  }
}

/** A channel with two blocks and a vote cast, its Raft id recorded. */
async function recordedChannel(env: WalEnvironment, ch = 'c'): Promise<void> {
  const { raft, ledger } = env.channel(ch);
  await ledger.append(chainBlock(ch, 0, { raftIndex: 0 }));
  await ledger.append(chainBlock(ch, 1, { raftIndex: 1 }));
  await raft.recordRaftId(record);
  await raft.persistReady({ entries: [entry(1, 1)], hardState: { term: 3, vote: 4, commit: 1 } });
}

const plain = (r: RaftIdRecord | undefined): unknown => (r === undefined ? undefined : { raftId: r.raftId, configBlock: [...r.configBlock] });

for (const engine of engines) {
  describe(`Raft id record (${engine})`, () => {
    it('is read back after a reopen, beside the Raft state cast under it', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir);
      expect(env.channel('c').raft.raftId).toBeUndefined();
      await recordedChannel(env);
      expect(plain(env.channel('c').raft.raftId)).toEqual(plain(record));
      await env.close();
      const after = await reopened(engine, dir, (e) => ({
        record: plain(e.channel('c').raft.raftId),
        vote: e.channel('c').raft.initialState().hardState.vote,
        other: e.channel('other').raft.raftId,
      }));
      expect(after).toEqual({ record: plain(record), vote: 4, other: undefined });
    });

    it('goes with the Raft state: a drop keeping the ledger, or a full one', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir);
      await recordedChannel(env, 'kept');
      await recordedChannel(env, 'gone');
      for (const [ch, keepLedger] of [
        ['kept', true],
        ['gone', false],
      ] as const) {
        await env.releaseChannel(ch);
        await env.dropChannel(ch, { keepLedger });
      }
      // A drop no record followed (a crash between re-onboarding's two steps): no record, blocks kept.
      expect(env.channel('kept').raft.raftId).toBeUndefined();
      await env.close();
      const after = await reopened(engine, dir, (e) => ({
        kept: [e.channel('kept').raft.raftId, e.channel('kept').ledger.height, e.channel('kept').raft.initialState().hardState.vote],
        gone: [e.channel('gone').raft.raftId, e.channel('gone').ledger.height],
      }));
      expect(after).toEqual({ kept: [undefined, 2, 0], gone: [undefined, 0] });
    });

    it('a record after the drop is the one read back; a later record replaces it', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir);
      await recordedChannel(env);
      await env.releaseChannel('c');
      await env.dropChannel('c', { keepLedger: true });
      await env.channel('c').raft.recordRaftId({ raftId: 5, configBlock: new Uint8Array([1]) });
      await env.channel('c').raft.recordRaftId({ raftId: 6, configBlock: new Uint8Array([2, 2]) });
      await env.close();
      expect(await reopened(engine, dir, (e) => plain(e.channel('c').raft.raftId))).toEqual({ raftId: 6, configBlock: [2, 2] });
    });

    it('refuses an id that is no Raft id', async () => {
      const env = openEnv(engine, freshDir());
      try {
        expect(() => env.channel('c').raft.recordRaftId({ raftId: 0, configBlock: new Uint8Array(0) })).toThrow(/0 is not a Raft id/);
      } finally {
        await env.close();
      }
    });
  });
}

describe('Raft id record (native-free WAL checkpoint)', () => {
  it('survives the checkpoint that deletes the segment it was written in', async () => {
    const dir = freshDir();
    const env = openEnv('native-free', dir, { segmentMaxBytes: 8192 });
    const { raft } = env.channel('c');
    await raft.recordRaftId(record);
    for (let i = 1; i <= 200; i++) {
      await raft.persistReady({ entries: [entry(i, 1, `${i}-`.padEnd(300, '#'))], hardState: { term: 1, vote: 4, commit: i } });
      if (i % 25 === 0) await raft.takeSnapshot(i, undefined, new Uint8Array([i]));
    }
    await env.close();
    // The record's segment is gone: only the checkpoint holds it now.
    expect(fs.existsSync(segmentPath(join(dir, 'wal'), 1))).toBe(false);
    const after = await reopened('native-free', dir, (e) => ({ record: plain(e.channel('c').raft.raftId), last: e.channel('c').raft.lastIndex() }), 8192);
    expect(after).toEqual({ record: plain(record), last: 200 });
  });
});
