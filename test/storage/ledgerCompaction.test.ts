// The native-free ledger compaction's replay rule: blocks missing before a
// block of a channel are accepted only when a drop (tombstone) of the channel
// follows — that is what a compaction leaves; otherwise start-up stops naming
// the file, the channel and the block. And a rewrite keeps every live record.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRewrite } from '../../native-free/storage/ledgerCompaction.js';
import { segmentPath } from '../../native-free/storage/segmentFiles.js';
import { StorageCorruptError } from '../../src/storage/index.js';
import { chainBlock, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();

async function ledgerOf(dir: string, channel: string, blocks: number): Promise<void> {
  const env = openEnv('native-free', dir);
  try {
    for (let n = 0; n < blocks; n++) await env.channel(channel).ledger.append(chainBlock(channel, n));
    await env.channel('other').ledger.append(chainBlock('other', 0));
  } finally {
    await env.close();
  }
}

describe('native-free ledger compaction', () => {
  it('blocks missing without a drop after them stop start-up naming file, channel and block', async () => {
    const dir = freshDir();
    await ledgerOf(dir, 'x', 6);
    const ledgerDir = join(dir, 'ledger');
    // A rewrite that removes live blocks 0..2 of x (a bug or a damaged disk would look like this).
    const rewrite = await writeRewrite(ledgerDir, 1, (channel, number) => channel !== 'x' || number > 2);
    expect(rewrite?.moved.length).toBe(4);
    fs.renameSync(rewrite!.tmpPath, rewrite!.path);
    const opening = (): unknown => openEnv('native-free', dir);
    expect(opening).toThrow(StorageCorruptError);
    expect(opening).toThrow(
      new RegExp(
        `file ${segmentPath(ledgerDir, 1)}, channel "x", block number 3: block out of sequence \\(expected block 0\\) and no drop of the channel follows`,
      ),
    );
  });

  it('a rewrite with nothing dead writes nothing; one with dead blocks keeps every other record in order', async () => {
    const dir = freshDir();
    await ledgerOf(dir, 'x', 4);
    const ledgerDir = join(dir, 'ledger');
    expect(await writeRewrite(ledgerDir, 1, () => true)).toBeUndefined();
    expect(fs.readdirSync(ledgerDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const rewrite = await writeRewrite(ledgerDir, 1, (channel) => channel !== 'other');
    expect(rewrite!.moved.map((m) => `${m.channel}/${m.number}`)).toEqual(['x/0', 'x/1', 'x/2', 'x/3']);
    expect(rewrite!.bytesAfter).toBeLessThan(rewrite!.bytesBefore);
    fs.rmSync(rewrite!.tmpPath);
  });
});
