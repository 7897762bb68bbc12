// Damaged storage stops start-up with an error naming the file, the channel
// and the index; a torn last write of the native-free WAL is the one thing
// repaired (it was never acknowledged), and nothing else is ever dropped.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageCorruptError, type EngineName, type WalEnvironment } from '../../src/storage/index.js';
import { capturingLogger, chainBlock, entries, entry, openEnv, tempDirsPerTest, text } from './helpers.js';

/** Flips one byte inside every occurrence of `marker` in `file`; returns how many were hit. */
function flipMarker(file: string, marker: string): number {
  const buf = fs.readFileSync(file);
  const needle = Buffer.from(marker);
  let hits = 0;
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
    buf[at + needle.length - 1]! ^= 0x20;
    hits += 1;
  }
  fs.writeFileSync(file, buf);
  return hits;
}

function corruptError(f: () => unknown): StorageCorruptError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageCorruptError);
    return err as StorageCorruptError;
  }
  throw new Error('expected a StorageCorruptError, nothing was thrown');
}

function segments(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(dir, f));
}

const freshDir = tempDirsPerTest();

async function writeSample(env: WalEnvironment): Promise<void> {
  const raft = env.channel('corrupt-me').raft;
  await raft.persistReady({ entries: entries(1, 7, 1), hardState: { term: 1, vote: 1, commit: 3 } });
  await raft.persistReady({ entries: [entry(7, 1, 'MARKER-ENTRY-SEVEN'), entry(8, 1)] });
  await raft.persistReady({ entries: entries(9, 12, 1), hardState: { term: 1, vote: 1, commit: 10 } });
  const ledger = env.channel('corrupt-me').ledger;
  await ledger.append(chainBlock('corrupt-me', 0));
  await ledger.append({ ...chainBlock('corrupt-me', 1), bytes: new TextEncoder().encode('MARKER-BLOCK-ONE') });
  await ledger.append(chainBlock('corrupt-me', 2));
}

/** A fresh directory holding the sample, written by `engine` and closed. */
async function closedSampleDir(engine: EngineName): Promise<string> {
  const dir = freshDir();
  const env = openEnv(engine, dir);
  await writeSample(env);
  await env.close();
  return dir;
}

/** A fresh native-free directory whose WAL spans several 4 KiB segments (30 entries of 500 bytes), closed. */
async function closedMultiSegmentWalDir(): Promise<string> {
  const dir = freshDir();
  const env = openEnv('native-free', dir, { segmentMaxBytes: 4096 });
  const raft = env.channel('many').raft;
  for (let i = 1; i <= 30; i++) await raft.persistReady({ entries: [entry(i, 1, 'x'.repeat(500))] });
  await env.close();
  return dir;
}

describe('corruption (native / LMDB)', () => {
  it('a flipped byte in a raft entry stops the channel open, naming data.mdb, the channel and the index', async () => {
    const dir = await closedSampleDir('native');
    expect(flipMarker(join(dir, 'data.mdb'), 'MARKER-ENTRY-SEVEN')).toBeGreaterThan(0);
    const reopened = openEnv('native', dir);
    // Start-up opens every stored channel, so the damage stops it there.
    const err = corruptError(() => reopened.openStoredChannels());
    expect(err.code).toBe('STORAGE_CORRUPT');
    expect(err.message).toContain(join(dir, 'data.mdb'));
    expect(err.message).toContain('channel "corrupt-me"');
    expect(err.message).toContain('raft index 7');
    expect(err.message).toMatch(/crc32 mismatch/);
    await reopened.close();
  });

  it('a flipped byte in a block fails the read of that block, naming the block number', async () => {
    const dir = await closedSampleDir('native');
    expect(flipMarker(join(dir, 'data.mdb'), 'MARKER-BLOCK-ONE')).toBeGreaterThan(0);
    const reopened = openEnv('native', dir);
    const ledger = reopened.channel('corrupt-me').ledger;
    expect(ledger.block(2).number).toBe(2);
    const err = corruptError(() => ledger.block(1));
    expect(err.message).toContain('block number 1');
    expect(err.message).toContain('channel "corrupt-me"');
    await reopened.close();
  });

  it('a data file lost after the environment existed stops start-up instead of opening empty', async () => {
    const dir = await closedSampleDir('native');
    fs.rmSync(join(dir, 'data.mdb'));
    const err = corruptError(() => openEnv('native', dir));
    expect(err.message).toContain(join(dir, 'data.mdb'));
    expect(err.message).toMatch(/missing or empty/);
  });

  it('an unreadable environment stops start-up naming the file', () => {
    const dir = freshDir();
    fs.writeFileSync(join(dir, 'data.mdb'), Buffer.alloc(64 * 1024, 0xab));
    const err = corruptError(() => openEnv('native', dir));
    expect(err.message).toContain(join(dir, 'data.mdb'));
    expect(err.message).toMatch(/cannot open the LMDB environment/);
  });
});

describe('corruption (native-free / segment files)', () => {
  it('a flipped byte in a middle record stops start-up, naming the segment, the channel and the index', async () => {
    const dir = await closedSampleDir('native-free');
    const [segment] = segments(join(dir, 'wal'));
    expect(flipMarker(segment!, 'MARKER-ENTRY-SEVEN')).toBe(1);
    const err = corruptError(() => openEnv('native-free', dir));
    expect(err.code).toBe('STORAGE_CORRUPT');
    expect(err.message).toContain(segment!);
    expect(err.message).toContain('channel "corrupt-me"');
    expect(err.message).toContain('index 7');
    expect(err.message).toMatch(/fails its crc32.*not a torn last write/);
    // Nothing was cut: the file is as long as before.
    expect(fs.statSync(segment!).size).toBeGreaterThan(0);
  });

  it('a flipped byte in a stored block fails its read, naming the block number', async () => {
    const dir = await closedSampleDir('native-free');
    const [segment] = segments(join(dir, 'ledger'));
    const sizeBefore = fs.statSync(segment!).size;
    expect(flipMarker(segment!, 'MARKER-BLOCK-ONE')).toBe(1);
    // The block's frame is in the middle: start-up itself refuses.
    const err = corruptError(() => openEnv('native-free', dir));
    expect(err.message).toContain('channel "corrupt-me"');
    expect(err.message).toContain('index 1');
    expect(fs.statSync(segment!).size).toBe(sizeBefore);
  });

  it('a torn last frame is cut off with a warning; everything acknowledged before it is intact', async () => {
    const dir = freshDir();
    const env = openEnv('native-free', dir);
    await writeSample(env);
    await env.channel('corrupt-me').raft.persistReady({ entries: entries(12, 14, 2), hardState: { term: 2, vote: 2, commit: 11 } });
    await env.close();
    const [segment] = segments(join(dir, 'wal'));
    const full = fs.statSync(segment!).size;
    fs.truncateSync(segment!, full - 5); // the last write was cut mid-way by a crash
    const { logger, lines } = capturingLogger();
    const reopened = openEnv('native-free', dir, { logger });
    const ch = reopened.channel('corrupt-me');
    expect(ch.raft.lastIndex()).toBe(11);
    expect(ch.raft.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 10 });
    expect(text(ch.raft.entries(7, 8, Infinity)[0]!.data)).toBe('MARKER-ENTRY-SEVEN');
    expect(ch.ledger.height).toBe(3);
    expect(lines.some((l) => l.level === 40 && /torn last frame/.test(String(l.msg)))).toBe(true);
    // Writing continues after the repair and survives another reopen.
    await ch.raft.persistReady({ entries: entries(12, 13, 3) });
    await reopened.close();
    const again = openEnv('native-free', dir);
    expect(again.channel('corrupt-me').raft.lastIndex()).toBe(12);
    await again.close();
  });

  it('garbage after the last frame (a torn header) is cut off too', async () => {
    const dir = await closedSampleDir('native-free');
    const [segment] = segments(join(dir, 'wal'));
    const size = fs.statSync(segment!).size;
    fs.appendFileSync(segment!, Buffer.from([0x52, 0x57, 0x4c, 0x31, 0x09, 0x00]));
    const reopened = openEnv('native-free', dir);
    expect(reopened.channel('corrupt-me').raft.lastIndex()).toBe(11);
    expect(fs.statSync(segment!).size).toBe(size);
    await reopened.close();
  });

  it('a lost WAL directory stops start-up instead of opening empty', async () => {
    const dir = await closedSampleDir('native-free');
    fs.rmSync(join(dir, 'wal'), { recursive: true });
    const err = corruptError(() => openEnv('native-free', dir));
    expect(err.message).toContain(join(dir, 'wal'));
    expect(err.message).toMatch(/no segment files/);
  });

  it('a missing segment stops start-up naming it', async () => {
    const dir = await closedMultiSegmentWalDir();
    const segs = segments(join(dir, 'wal'));
    expect(segs.length).toBeGreaterThanOrEqual(3);
    fs.rmSync(segs[1]!);
    const err = corruptError(() => openEnv('native-free', dir));
    expect(err.message).toContain(segs[1]!);
    expect(err.message).toMatch(/segment missing/);
  });

  it('losing the oldest WAL segments (without a checkpoint after them) stops start-up', async () => {
    const dir = await closedMultiSegmentWalDir();
    const segs = segments(join(dir, 'wal'));
    fs.rmSync(segs[0]!);
    const err = corruptError(() => openEnv('native-free', dir));
    expect(err.message).toContain(segs[1]!);
    expect(err.message).toMatch(/does not begin with a checkpoint/);
  });
});
