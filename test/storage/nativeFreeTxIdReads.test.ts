// The native-free engine's txId index reads a block's tx ids from the meta of
// its ledger record alone, never its block bytes: a hash hit or the backwards
// build reads a few percent of each record. A meta that does not decode is a
// StorageCorruptError naming the block.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageCorruptError, type WalEnvironment } from '../../src/storage/index.js';
import { chainBlock, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();
const BLOCK_MARKER = 'BLOCK-BYTES-MARKER';
const TX_MARKER = 'tx-meta-marker';

/** Changes the first occurrence of `marker` in the ledger segments of `dir` with `damage`, while the environment is open. */
function damageLedger(dir: string, marker: string, damage: (buf: Buffer, at: number) => void): void {
  const ledgerDir = join(dir, 'ledger');
  for (const name of fs.readdirSync(ledgerDir).filter((f) => f.endsWith('.seg'))) {
    const file = join(ledgerDir, name);
    const buf = fs.readFileSync(file);
    const at = buf.indexOf(Buffer.from(marker));
    if (at < 0) continue;
    damage(buf, at);
    fs.writeFileSync(file, buf);
    return;
  }
  throw new Error(`${marker} is in no ledger segment of ${dir}`);
}

async function withLedger(body: (env: WalEnvironment, dir: string) => Promise<void>): Promise<void> {
  const dir = freshDir();
  const env = openEnv('native-free', dir);
  try {
    const ledger = env.channel('ch').ledger;
    await ledger.append(chainBlock('ch', 0));
    await ledger.append({ ...chainBlock('ch', 1, { txIds: ['tx-a', TX_MARKER] }), bytes: new TextEncoder().encode(BLOCK_MARKER) });
    await ledger.append(chainBlock('ch', 2));
    await body(env, dir);
  } finally {
    await env.close();
  }
}

describe('txId reads (native-free)', () => {
  it('finds a tx id from the block record meta without reading the block bytes', async () => {
    await withLedger(async (env, dir) => {
      // Damaged block bytes would fail the record's crc32 if the whole record were read.
      damageLedger(dir, BLOCK_MARKER, (buf, at) => {
        buf[at]! ^= 0x20;
      });
      expect(env.channel('ch').ledger.txLocation(TX_MARKER)).toEqual({ blockNumber: 1, position: 1 });
      expect(env.channel('ch').ledger.txLocation('tx-never')).toBeUndefined();
    });
  });

  it('names the block when its record meta does not decode', async () => {
    await withLedger(async (env, dir) => {
      // A string is stored as tag 0x03, a u32 length, its bytes: an unknown tag does not decode.
      damageLedger(dir, TX_MARKER, (buf, at) => {
        buf[at - 5] = 0x7f;
      });
      let thrown: unknown;
      try {
        env.channel('ch').ledger.txLocation('tx-a');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(StorageCorruptError);
      expect((thrown as StorageCorruptError).location).toMatchObject({ channel: 'ch', index: 1 });
    });
  });
});
