// Group commit across channels, asserted through the sync counter (never
// timing), the slow-sync warning with an injected clock, and fail-stop after a
// failed write. Both engines.

import { describe, expect, it } from 'vitest';
import { StorageFailedError, type SyncInfo } from '../../src/storage/index.js';
import { capturingLogger, chainBlock, engines, entries, openEnv, tempDirsPerTest, type EnvOptions } from './helpers.js';

/** A sync hook that holds sync number 1 until released, so later submissions pile up behind it. */
function gateFirstSync(): { hook: (info: SyncInfo) => Promise<void>; started: Promise<void>; release: () => void } {
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (markStarted = r));
  return {
    hook: async (info) => {
      if (info.syncNumber === 1) {
        markStarted();
        await gate;
      }
    },
    started,
    release,
  };
}

for (const engine of engines) {
  describe(`group commit (${engine})`, () => {
    const freshDir = tempDirsPerTest();
    function open(options: EnvOptions = {}) {
      const dir = freshDir();
      return openEnv(engine, dir, options);
    }

    it('100 Readys from 10 channels submitted together share one sync', async () => {
      const env = open();
      const readys = [];
      for (let c = 0; c < 10; c++) {
        const raft = env.channel(`ch${c}`).raft;
        for (let r = 0; r < 10; r++) readys.push(raft.persistReady({ entries: entries(r + 1, r + 2, 1), hardState: { term: 1, vote: 1, commit: r } }));
      }
      await Promise.all(readys);
      expect(env.stats.submissionCount).toBe(100);
      expect(env.stats.syncCount).toBe(1);
      await env.close();
    });

    it('writes that arrive during a sync are batched into exactly one next sync', async () => {
      const gate = gateFirstSync();
      const env = open({ syncHook: gate.hook });
      const first = env.channel('a').raft.persistReady({ entries: entries(1, 2, 1) });
      await gate.started;
      const during = [];
      for (let c = 0; c < 8; c++) {
        const ch = env.channel(`ch${c}`);
        during.push(ch.raft.persistReady({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 0, commit: 1 } }));
        during.push(ch.ledger.append(chainBlock(`ch${c}`, 0)));
      }
      expect(env.stats.syncCount).toBe(0);
      expect(env.queuedSubmissions).toBe(16);
      gate.release();
      await first;
      await Promise.all(during);
      expect(env.stats.submissionCount).toBe(17);
      expect(env.stats.syncCount).toBe(2);
      await env.close();
    });

    it('sequential writers each awaiting their own write still get fewer syncs than Readys', async () => {
      const env = open();
      const writers = Array.from({ length: 16 }, async (_, w) => {
        const raft = env.channel(`w${w}`).raft;
        for (let i = 1; i <= 20; i++) await raft.persistReady({ entries: entries(i, i + 1, 1) });
      });
      await Promise.all(writers);
      expect(env.stats.submissionCount).toBe(320);
      // Each sync carries every writer that was waiting: 20 rounds of 16, give or take scheduling.
      expect(env.stats.syncCount).toBeLessThan(320 / 4);
      await env.close();
    });

    it('counts every sync in the persist-duration histogram', async () => {
      let now = 0;
      const env = open({ clock: () => (now += 3) }); // every sync "takes" 3 ms
      await env.channel('h').raft.persistReady({ entries: entries(1, 2, 1) });
      await env.channel('h').raft.persistReady({ entries: entries(2, 3, 1) });
      const h = env.stats.histogram();
      expect(h.count).toBe(2);
      expect(h.sumSeconds).toBeCloseTo(0.006, 9);
      const le5ms = h.bucketsSeconds.indexOf(0.005);
      const le2_5ms = h.bucketsSeconds.indexOf(0.0025);
      expect(h.cumulativeCounts[le2_5ms]).toBe(0);
      expect(h.cumulativeCounts[le5ms]).toBe(2);
      expect(h.cumulativeCounts.at(-1)).toBe(2);
      await env.close();
    });

    it('warns once per sync slower than half the election timeout, naming duration and timeout', async () => {
      const { logger, lines } = capturingLogger();
      let slow = false;
      let now = 0;
      // The injected clock advances 3000 ms per reading when `slow` is set (a sync reads it at start and end), 1 ms otherwise.
      const clock = () => (now += slow ? 3000 : 1);
      const env = open({ logger, clock, electionTimeoutMs: 5000 });
      const raft = env.channel('slowdisk').raft;
      await raft.persistReady({ entries: entries(1, 2, 1) });
      expect(lines.filter((l) => l.level === 40)).toHaveLength(0);
      slow = true;
      await raft.persistReady({ entries: entries(2, 3, 1) });
      await raft.persistReady({ entries: entries(3, 4, 1) });
      slow = false;
      await raft.persistReady({ entries: entries(4, 5, 1) });
      const warnings = lines.filter((l) => l.level === 40);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]!.msg).toMatch(
        /WAL sync took 3000\.0 ms, more than half of the election timeout \(5000 ms\): the disk is too slow, this may cause leader elections/,
      );
      expect(warnings[0]).toMatchObject({ durationMs: 3000, electionTimeoutMs: 5000, channels: ['slowdisk'] });
      await env.close();
    });

    it('a sync really slowed by the hook is reported as slow', async () => {
      const { logger, lines } = capturingLogger();
      const env = open({ logger, electionTimeoutMs: 40, syncHook: () => new Promise((r) => setTimeout(r, 60)) });
      await env.channel('s').raft.persistReady({ entries: entries(1, 2, 1) });
      const warning = lines.find((l) => l.level === 40);
      expect(warning).toBeDefined();
      expect(warning!.durationMs as number).toBeGreaterThanOrEqual(20);
      await env.close();
    });

    it('a batch that cannot be encoded writes nothing at all, not even its valid Readys', async () => {
      const dir = freshDir();
      let env = openEnv(engine, dir);
      await env.channel('ok').raft.persistReady({ entries: entries(1, 2, 1) });
      // Same sync: a valid Ready, then a block whose header hash is not bytes (a caller bug).
      const valid = env.channel('ok').raft.persistReady({ entries: entries(2, 4, 1), hardState: { term: 1, vote: 1, commit: 3 } });
      const broken = env.channel('bad').ledger.append({ ...chainBlock('bad', 0), headerHash: undefined as unknown as Uint8Array });
      await expect(valid).rejects.toBeInstanceOf(StorageFailedError);
      await expect(broken).rejects.toBeInstanceOf(StorageFailedError);
      expect(env.stats.syncCount).toBe(2);
      await env.close();
      env = openEnv(engine, dir);
      expect(env.channel('ok').raft.lastIndex()).toBe(1);
      expect(env.channel('ok').raft.initialState().hardState.commit).toBe(0);
      expect(env.channel('bad').ledger.height).toBe(0);
      await env.close();
    });

    it('a failed write rejects its Readys and every later write: the storage stops', async () => {
      let failNext = false;
      const env = open({
        syncHook: async () => {
          if (failNext) throw new Error('EIO: injected disk failure');
        },
      });
      const raft = env.channel('f').raft;
      await raft.persistReady({ entries: entries(1, 2, 1) });
      failNext = true;
      const err = await raft.persistReady({ entries: entries(2, 3, 1) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageFailedError);
      expect((err as Error).message).toContain('EIO: injected disk failure');
      expect(() => raft.append(entries(3, 4, 1))).toThrow(StorageFailedError);
      await expect(env.channel('g').ledger.append(chainBlock('g', 0))).rejects.toBeInstanceOf(StorageFailedError);
      await expect(raft.whenDurable()).rejects.toBeInstanceOf(StorageFailedError);
      await env.close();
    });
  });
}
