// A failed LMDB commit is reported with its reason: lmdb-js's "Commit failed
// (see commitError for details)" carries the reason in a promise; the error
// the WAL passes on names it (e.g. a full disk), and other errors pass as they are.

import { describe, expect, it } from 'vitest';
import { withCommitReason } from '../../src/storage/lmdbCommitError.js';

function lmdbCommitFailure(reason: Promise<never>): Error {
  return Object.assign(new Error('Commit failed (see commitError for details)'), { commitError: reason });
}

describe('LMDB commit failure reason', () => {
  it('names the reason the write thread reports, keeping the original as its cause', async () => {
    const original = lmdbCommitFailure(Promise.reject(new Error('MDB_MAP_FULL: No space left on device')));
    const reported = (await withCommitReason(original)) as Error;
    expect(reported.message).toBe('LMDB commit failed: MDB_MAP_FULL: No space left on device');
    expect(reported.cause).toBe(original);
  });

  it('names a reason that arrives after the failure', async () => {
    const original = lmdbCommitFailure(new Promise((_, reject) => setTimeout(() => reject(new Error('ENOSPC')), 10)));
    expect(((await withCommitReason(original)) as Error).message).toBe('LMDB commit failed: ENOSPC');
  });

  it('passes other errors through unchanged', async () => {
    const other = new Error('EIO');
    expect(await withCommitReason(other)).toBe(other);
  });
});
