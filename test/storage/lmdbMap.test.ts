// The LMDB environment maps its file once: lmdb-js remaps a growing database
// into a map twice as large and keeps the old one mapped, so the pages read
// through each old map stay resident beside the new one (a leader's resident
// memory grew with its ledger for that reason). The map is reserved up front.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainBlock, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();

/** The mappings of this process that map `file`. */
function mappingsOf(file: string): number {
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(` ${file}`)).length;
}

describe('the LMDB environment as its ledger grows', () => {
  it('keeps one mapping of its data file past many times its first size', async () => {
    const dir = freshDir();
    const env = openEnv('native', dir);
    try {
      const { ledger } = env.channel('map');
      // 40 blocks of 512 KiB: 20 MiB written, several doublings of lmdb-js's first map.
      for (let n = 0; n < 40; n++) await ledger.append(chainBlock('map', n, { size: 512 * 1024 }));
      expect(fs.statSync(join(dir, 'data.mdb')).size).toBeGreaterThan(20 * 1024 * 1024);
      expect(mappingsOf(join(dir, 'data.mdb'))).toBe(1);
    } finally {
      await env.close();
    }
  });
});
