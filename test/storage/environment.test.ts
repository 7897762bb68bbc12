// The environment's front door: options validated with messages naming the
// option, one process per directory (a dead owner's lock is taken over), and
// start-up opening every stored channel. Both engines.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWalEnvironment, StorageLockedError, StorageOptionsError, type EngineName } from '../../src/storage/index.js';
import { engines, entries, openEnv, silentLogger, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();

describe('native-free engine', () => {
  it('loads no native addon (neither lmdb nor msgpackr-extract)', () => {
    const probe = fileURLToPath(new URL('./fixtures/nativeFreeProbe.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', probe, freshDir()], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
  });
});

describe('options', () => {
  it('an unknown engine is refused naming options.engine', () => {
    expect(() => openWalEnvironment({ dir: freshDir(), engine: 'rocksdb' as EngineName, logger: silentLogger })).toThrow(
      new StorageOptionsError("options.engine must be 'native' or 'native-free', got rocksdb"),
    );
  });

  it('a non-positive election timeout is refused naming the option', () => {
    expect(() => openWalEnvironment({ dir: freshDir(), logger: silentLogger, electionTimeoutMs: 0 })).toThrow(
      /options\.electionTimeoutMs must be an integer >= 1, got 0/,
    );
  });

  it('a segment size below 4096 bytes is refused naming the option', () => {
    expect(() => openWalEnvironment({ dir: freshDir(), engine: 'native-free', logger: silentLogger, segmentMaxBytes: 100 })).toThrow(
      /options\.segmentMaxBytes/,
    );
  });
});

for (const engine of engines) {
  describe(`environment (${engine})`, () => {
    it('a second open of the same directory is refused until the first is closed', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir);
      const err = (() => {
        try {
          openEnv(engine, dir);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(StorageLockedError);
      expect((err as Error).message).toContain(`process ${process.pid}`);
      await env.close();
      const again = openEnv(engine, dir);
      await again.close();
    });

    it('a lock left by a dead process is taken over', async () => {
      const dir = freshDir();
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      expect(dead).toBeGreaterThan(0);
      fs.writeFileSync(join(dir, 'LOCK'), String(dead));
      const env = openEnv(engine, dir);
      expect(fs.readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
      await env.close();
      expect(fs.existsSync(join(dir, 'LOCK'))).toBe(false);
    });

    it('a directory of the other engine is refused naming options.engine', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir);
      await env.close();
      const other = engine === 'native' ? 'native-free' : 'native';
      expect(() => openEnv(other, dir)).toThrow(new StorageOptionsError(`options.engine is '${other}' but ${dir} holds a '${engine}' environment`));
    });

    it('openStoredChannels opens every channel found on disk', async () => {
      const dir = freshDir();
      let env = openEnv(engine, dir);
      await env.channel('one').raft.persistReady({ entries: entries(1, 3, 1) });
      await env.channel('two').raft.persistReady({ hardState: { term: 2, vote: 1, commit: 0 } });
      await env.close();
      env = openEnv(engine, dir);
      const all = env.openStoredChannels();
      expect([...all.keys()].sort()).toEqual(['one', 'two']);
      expect(all.get('one')!.raft.lastIndex()).toBe(2);
      expect(all.get('two')!.raft.initialState().hardState.term).toBe(2);
      await env.close();
    });
  });
}
