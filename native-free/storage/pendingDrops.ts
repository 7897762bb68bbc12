// The native-free engine's intent record for channel drops that span both
// streams. A full drop (ledger too) writes a tombstone record to the ledger
// stream and one to the WAL stream: two frames, two fdatasyncs, so a crash can
// fall between them. The intent file closes that gap:
//   1. pending-drops.json names the channels (written to a temporary file,
//      fsynced, renamed, directory fsynced): from here the drop WILL happen;
//   2. the ledger frame with the tombstones, fdatasync;
//   3. the WAL frame with the tombstones, fdatasync;
//   4. the intent file is deleted (directory fsynced).
// Open replays both streams, then finishes any drop still named in the file
// (writes both tombstones again: a tombstone of an already dropped channel
// changes nothing) before deleting it. A crash before step 1 completes leaves
// the channel whole; any later crash leaves it dropped. A drop that keeps the
// ledger writes one WAL frame only, atomic by itself: no intent needed.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { StorageCorruptError } from '../../src/storage/errors.js';
import { fsyncDir } from './segmentFiles.js';

export const pendingDropsFileName = 'pending-drops.json';

/** Channels whose full drop (Raft state and ledger) has begun and may not have finished. */
export function readPendingDrops(dir: string): string[] {
  const file = join(dir, pendingDropsFileName);
  // A temporary file left by a crash during step 1: that drop never began.
  fs.rmSync(`${file}.tmp`, { force: true });
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StorageCorruptError({ file }, `cannot read the pending channel drops: ${String(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StorageCorruptError({ file }, `pending channel drops are not JSON: ${String(err)}`, { cause: err });
  }
  const channels = (parsed as { channels?: unknown } | null)?.channels;
  if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string' && c.length > 0)) {
    throw new StorageCorruptError({ file }, 'pending channel drops must be {"channels": [non-empty names]}');
  }
  return channels as string[];
}

/** Step 1: durable before it returns. */
export function writePendingDrops(dir: string, channels: readonly string[]): void {
  const file = join(dir, pendingDropsFileName);
  const temporary = `${file}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, `${JSON.stringify({ channels })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
  fsyncDir(dir);
}

/** Step 4: the drops are complete in both streams. */
export function clearPendingDrops(dir: string): void {
  fs.rmSync(join(dir, pendingDropsFileName), { force: true });
  fsyncDir(dir);
}
