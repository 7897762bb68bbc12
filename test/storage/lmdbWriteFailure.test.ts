// A write the disk refuses (full, or past the size the process may write)
// stops the LMDB engine's storage with a StorageFailedError naming the reason,
// and nothing else: no promise lmdb-js made is left rejected unhandled, which
// in an orderer (Node's default for unhandled rejections) killed the process
// on a full disk instead of halting its channels. Run in a child process whose
// file size is limited (RLIMIT_FSIZE, SIGXFSZ ignored, so a write past it fails
// with an I/O error as a full disk fails with ENOSPC): no root, no mount.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();
const child = fileURLToPath(new URL('./fixtures/lmdbWriteFailure.ts', import.meta.url));
/** The file size limit, in the shell's ulimit blocks: a few MiB, which the child's 64 KiB entries pass in a few dozen writes. */
const FILE_SIZE_BLOCKS = 4096;

describe('LMDB write failure', () => {
  it('stops storage with the reason and leaves no promise rejected unhandled', () => {
    const dir = freshDir();
    const script = `trap '' XFSZ; ulimit -f ${FILE_SIZE_BLOCKS}; exec "$0" --import tsx "$1" "$2"`;
    const run = spawnSync('sh', ['-c', script, process.execPath, child, dir], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('write failed: StorageFailedError: WAL write failed, storage is stopped: Error: LMDB commit failed:');
    expect(run.stdout).not.toContain('unhandled rejection');
    expect(run.stdout).toContain('done');
  });
});
