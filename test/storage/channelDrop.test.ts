// WalEnvironment.dropChannel on both engines: a full drop deletes the Raft
// state and the ledger, keepLedger deletes only the Raft state; both are
// durable (checked after reopening), leave the other channels alone (also
// channels whose names share a prefix), refuse while the channel is open, and
// let the other channels keep appending during the drop.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChannelInUseError, ChannelReleasedError, type EngineName, type WalEnvironment } from '../../src/storage/index.js';
import { expectDropped, expectFilled, fillChannel } from './fixtures/dropFill.js';
import { chainBlock, engines, entries, entry, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();

/** Runs `body` on an environment in a fresh directory, then reopens it for `after`. */
async function withReopen(
  engine: EngineName,
  body: (env: WalEnvironment) => Promise<void>,
  after: (env: WalEnvironment) => void,
  segmentMaxBytes?: number,
): Promise<void> {
  const dir = freshDir();
  const env = openEnv(engine, dir, { segmentMaxBytes });
  try {
    await body(env);
  } finally {
    await env.close();
  }
  const reopened = openEnv(engine, dir, { segmentMaxBytes });
  try {
    after(reopened);
  } finally {
    await reopened.close();
  }
}

for (const engine of engines) {
  describe(`dropChannel (${engine})`, () => {
    it('a full drop deletes the channel and nothing else, durably; the channel starts again from block 0', async () => {
      await withReopen(
        engine,
        async (env) => {
          // Names sharing a prefix: the key ranges of one must not reach into the others.
          for (const ch of ['a', 'a.b', 'ab']) await fillChannel(env, ch, 5);
          await env.releaseChannel('a');
          await env.dropChannel('a', { keepLedger: false });
          expectDropped(env, 'a');
          expectFilled(env, 'a.b', 5);
          expectFilled(env, 'ab', 5);
          await env.releaseChannel('a');
          // Created again: a new chain with different blocks is accepted from 0.
          const { ledger } = env.channel('a');
          await ledger.append(chainBlock('a-again', 0));
          expect(ledger.height).toBe(1);
        },
        (env) => {
          expect(env.storedChannels().sort()).toEqual(['a', 'a.b', 'ab']);
          expect(Buffer.compare(env.channel('a').ledger.block(0).bytes, chainBlock('a-again', 0).bytes)).toBe(0);
          expect(env.channel('a').raft.lastIndex()).toBe(0);
          expectFilled(env, 'a.b', 5);
          expectFilled(env, 'ab', 5);
        },
      );
    });

    it('a drop that keeps the ledger deletes only the Raft state', async () => {
      await withReopen(
        engine,
        async (env) => {
          await fillChannel(env, 'k', 4);
          await fillChannel(env, 'other', 3);
          await env.releaseChannel('k');
          await env.dropChannel('k', { keepLedger: true });
          expectFilled(env, 'k', 4, 'ledger');
          // The ledger-only channel takes a new Raft log (a new Raft id re-onboarding) and more blocks.
          const { raft, ledger } = env.channel('k');
          await raft.persistReady({ entries: entries(1, 3, 7), hardState: { term: 7, vote: 2, commit: 2 } });
          await ledger.append(chainBlock('k', 4, { raftIndex: 0 }));
        },
        (env) => {
          const { raft, ledger } = env.channel('k');
          expect(raft.initialState().hardState).toEqual({ term: 7, vote: 2, commit: 2 });
          expect(raft.lastIndex()).toBe(2);
          expect(ledger.height).toBe(5);
          expectFilled(env, 'other', 3);
        },
      );
    });

    it('a drop that keeps the ledger of a channel without blocks forgets the channel', async () => {
      await withReopen(
        engine,
        async (env) => {
          await env.channel('raft-only').raft.persistReady({ entries: [entry(1, 1)], hardState: { term: 1, vote: 1, commit: 1 } });
          await env.releaseChannel('raft-only');
          await env.dropChannel('raft-only', { keepLedger: true });
          expectDropped(env, 'raft-only');
        },
        (env) => expectDropped(env, 'raft-only'),
      );
    });

    it('refuses while the channel is open or being dropped, naming the channel; a released storage refuses writes', async () => {
      const env = openEnv(engine, freshDir());
      try {
        await fillChannel(env, 'busy', 2);
        const { raft, ledger } = env.channel('busy');
        const waiting = ledger.waitForBlock(10);
        await expect(env.dropChannel('busy', { keepLedger: false })).rejects.toThrow(
          new ChannelInUseError('busy', 'its storage is open: release it (releaseChannel) before dropping it'),
        );
        await env.releaseChannel('busy');
        await expect(waiting).rejects.toThrow(/ledger closed/);
        expect(() => raft.persistReady({ hardState: { term: 2, vote: 1, commit: 2 } })).toThrow(ChannelReleasedError);
        await expect(ledger.append(chainBlock('busy', 2))).rejects.toThrow(/channel "busy": its storage was released/);
        expect(() => ledger.block(0)).toThrow(ChannelReleasedError);
        const drop = env.dropChannel('busy', { keepLedger: false });
        await expect(env.dropChannel('busy', { keepLedger: true })).rejects.toThrow(/channel "busy": its storage is already being dropped/);
        expect(() => env.channel('busy')).toThrow(/channel "busy": its storage is being dropped/);
        await drop;
        expectDropped(env, 'busy');
      } finally {
        await env.close();
      }
    });

    it('other channels keep appending while a channel is dropped, in the same group commit', async () => {
      let dropSyncSubmissions = 0;
      await withReopen(
        engine,
        async (env) => {
          await fillChannel(env, 'doomed', 40);
          const busy = env.channel('busy');
          await env.releaseChannel('doomed');
          let stop = false;
          let appended = 0;
          const writer = (async () => {
            for (let n = 0; !stop || n < 20; n++) {
              await Promise.all([
                busy.raft.persistReady({ entries: [entry(n + 1, 1)], hardState: { term: 1, vote: 1, commit: n + 1 } }),
                busy.ledger.append(chainBlock('busy', n)),
              ]);
              appended = n + 1;
            }
          })();
          // Started while the writer's first writes are queued: they share the drop's sync.
          const before = env.stats.syncCount;
          const drop = env.dropChannel('doomed', { keepLedger: false });
          const queuedWithDrop = env.queuedSubmissions;
          await drop;
          dropSyncSubmissions = queuedWithDrop;
          expect(env.stats.syncCount).toBeGreaterThan(before);
          stop = true;
          await writer;
          expect(appended).toBeGreaterThanOrEqual(20);
          expectDropped(env, 'doomed');
          expect(busy.ledger.height).toBe(appended);
          expect(busy.raft.lastIndex()).toBe(appended);
          await env.releaseChannel('busy');
        },
        (env) => {
          expectDropped(env, 'doomed');
          expect(env.channel('busy').ledger.height).toBeGreaterThanOrEqual(20);
          expect(env.channel('busy').raft.initialState().hardState.commit).toBe(env.channel('busy').ledger.height);
        },
      );
      expect(dropSyncSubmissions, 'the drop was queued together with other writes').toBeGreaterThan(1);
    });

    it('close waits for a drop in flight (LMDB sweeps in many small transactions here)', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir, { dropChunkKeys: 7 });
      await fillChannel(env, 'swept', 30);
      await fillChannel(env, 'kept', 2);
      await env.releaseChannel('swept');
      const drop = env.dropChannel('swept', { keepLedger: false });
      await env.close();
      await drop;
      const reopened = openEnv(engine, dir);
      try {
        expectDropped(reopened, 'swept');
        expectFilled(reopened, 'kept', 2);
      } finally {
        await reopened.close();
      }
    });

    it('dropping a channel that was never stored does nothing', async () => {
      await withReopen(
        engine,
        async (env) => {
          await fillChannel(env, 'kept', 2);
          await env.dropChannel('never', { keepLedger: false });
        },
        (env) => {
          expect(env.storedChannels()).toEqual(['kept']);
          expectFilled(env, 'kept', 2);
        },
      );
    });
  });
}

/** Bytes of the files in `dir`. */
function bytesIn(dir: string): number {
  return fs.readdirSync(dir).reduce((n, name) => n + fs.statSync(join(dir, name)).size, 0);
}

describe('dropChannel (native-free) reclaims ledger space', () => {
  it("closed ledger segments at least half dead are rewritten without the dropped blocks; the others' blocks stay readable", async () => {
    const dir = freshDir();
    const ledgerDir = join(dir, 'ledger');
    let env = openEnv('native-free', dir, { segmentMaxBytes: 8192 });
    try {
      const big = env.channel('big').ledger;
      const small = env.channel('small').ledger;
      // Shared segments (mostly big's bytes), then segments of big alone.
      for (let n = 0; n < 20; n++) await Promise.all([big.append(chainBlock('big', n, { size: 2048 })), small.append(chainBlock('small', n, { size: 256 }))]);
      for (let n = 20; n < 40; n++) await big.append(chainBlock('big', n, { size: 2048 }));
      for (let n = 20; n < 25; n++) await small.append(chainBlock('small', n, { size: 256 }));
      const before = bytesIn(ledgerDir);
      await env.releaseChannel('big');
      await env.dropChannel('big', { keepLedger: false });
      const after = bytesIn(ledgerDir);
      // big wrote 40 x 2 KiB; all but the blocks in the segment still being appended to are gone.
      expect(before - after).toBeGreaterThan(30 * 2048);
      for (let n = 0; n < 25; n++) expect(Buffer.compare(small.block(n).bytes, chainBlock('small', n, { size: 256 }).bytes), `small block ${n}`).toBe(0);
      await small.append(chainBlock('small', 25, { size: 256 }));
    } finally {
      await env.close();
    }
    env = openEnv('native-free', dir, { segmentMaxBytes: 8192 });
    try {
      expectDropped(env, 'big');
      const small = env.channel('small').ledger;
      expect(small.height).toBe(26);
      for (let n = 0; n < 26; n++)
        expect(Buffer.compare(small.block(n).bytes, chainBlock('small', n, { size: 256 }).bytes), `small block ${n} reopened`).toBe(0);
      expect(small.txLocation('small-tx-25-1')).toEqual({ blockNumber: 25, position: 1 });
    } finally {
      await env.close();
    }
  });
});

describe('dropChannel (native-free) and WAL checkpoints', () => {
  it('a checkpoint after a drop does not bring the dropped Raft state back, and keeps a ledger-only channel', async () => {
    const segmentMaxBytes = 4096;
    await withReopen(
      'native-free',
      async (env) => {
        await fillChannel(env, 'gone', 6);
        await fillChannel(env, 'raft-gone', 6);
        await env.releaseChannel('gone');
        await env.releaseChannel('raft-gone');
        await env.dropChannel('gone', { keepLedger: false });
        await env.dropChannel('raft-gone', { keepLedger: true });
        // Enough WAL traffic on another channel to roll segments, checkpoint and delete the ones holding the tombstones.
        const { raft } = env.channel('busy');
        for (let i = 1; i <= 200; i++) await raft.persistReady({ entries: [entry(i, 1, 'x'.repeat(200))], hardState: { term: 1, vote: 1, commit: i } });
        await raft.takeSnapshot(200, undefined, new Uint8Array(8));
        for (let i = 201; i <= 260; i++) await raft.persistReady({ entries: [entry(i, 1, 'x'.repeat(200))], hardState: { term: 1, vote: 1, commit: i } });
      },
      (env) => {
        expectDropped(env, 'gone');
        expectFilled(env, 'raft-gone', 6, 'ledger');
        expect(env.channel('busy').raft.lastIndex()).toBe(260);
      },
      segmentMaxBytes,
    );
  });
});
