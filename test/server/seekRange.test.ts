// Fabric's deliver rules for turning SeekInfo into a block range.

import { describe, expect, it } from 'vitest';
import { SEEK_MAX, SeekBehavior, SeekContentType, SeekErrorResponse, type SeekInfo, type SeekPosition } from '../../src/block/index.js';
import { resolveSeekRange } from '../../src/server/seekRange.js';

const oldest: SeekPosition = { type: 'oldest' };
const newest: SeekPosition = { type: 'newest' };
const nextCommit: SeekPosition = { type: 'nextCommit' };
const specified = (number: number): SeekPosition => ({ type: 'specified', number });

function seek(start: SeekPosition | undefined, stop: SeekPosition | undefined, behavior = SeekBehavior.BLOCK_UNTIL_READY): SeekInfo {
  return {
    ...(start && { start }),
    ...(stop && { stop }),
    behavior,
    errorResponse: SeekErrorResponse.STRICT,
    contentType: SeekContentType.BLOCK,
  };
}

describe('resolveSeekRange', () => {
  it('oldest to newest covers every block at request time', () => {
    expect(resolveSeekRange(seek(oldest, newest), 7)).toEqual({ ok: true, range: { first: 0, last: 6, failIfNotReady: false } });
  });

  it('newest to newest is exactly the last block', () => {
    expect(resolveSeekRange(seek(newest, newest), 7)).toEqual({ ok: true, range: { first: 6, last: 6, failIfNotReady: false } });
  });

  it('specified to specified is that range, possibly beyond the height', () => {
    expect(resolveSeekRange(seek(specified(3), specified(10)), 5)).toEqual({ ok: true, range: { first: 3, last: 10, failIfNotReady: false } });
  });

  it('a stop of SEEK_MAX (Fabric’s specified{MaxUint64}) is unbounded: every block from the start on', () => {
    expect(resolveSeekRange(seek(oldest, specified(SEEK_MAX)), 7)).toEqual({ ok: true, range: { first: 0, last: SEEK_MAX, failIfNotReady: false } });
    expect(resolveSeekRange(seek(specified(5), specified(SEEK_MAX)), 3)).toEqual({ ok: true, range: { first: 5, last: SEEK_MAX, failIfNotReady: false } });
  });

  it('a start of SEEK_MAX waits at the last safe block number (one that never comes), not at a non-integer', () => {
    expect(resolveSeekRange(seek(specified(SEEK_MAX), specified(SEEK_MAX)), 3)).toEqual({
      ok: true,
      range: { first: Number.MAX_SAFE_INTEGER, last: SEEK_MAX, failIfNotReady: false },
    });
  });

  it('next_commit starts at the height and, as a stop, means the start block', () => {
    expect(resolveSeekRange(seek(nextCommit, nextCommit), 5)).toEqual({ ok: true, range: { first: 5, last: 5, failIfNotReady: false } });
    expect(resolveSeekRange(seek(specified(2), nextCommit), 5)).toEqual({ ok: true, range: { first: 2, last: 2, failIfNotReady: false } });
  });

  it('an oldest stop means the start block', () => {
    expect(resolveSeekRange(seek(specified(4), oldest), 9)).toEqual({ ok: true, range: { first: 4, last: 4, failIfNotReady: false } });
  });

  it('FAIL_IF_NOT_READY with a start beyond the last block is NOT_FOUND', () => {
    const result = resolveSeekRange(seek(specified(5), specified(6), SeekBehavior.FAIL_IF_NOT_READY), 5);
    expect(result).toMatchObject({ ok: false, status: 'NOT_FOUND' });
    expect(result.ok ? '' : result.info).toContain('block 5 does not exist yet (height 5)');
  });

  it('FAIL_IF_NOT_READY with an existing start keeps the flag for the stream', () => {
    expect(resolveSeekRange(seek(oldest, specified(9), SeekBehavior.FAIL_IF_NOT_READY), 5)).toEqual({
      ok: true,
      range: { first: 0, last: 9, failIfNotReady: true },
    });
  });

  it('a missing start or stop is BAD_REQUEST', () => {
    expect(resolveSeekRange(seek(undefined, newest), 3)).toMatchObject({
      ok: false,
      status: 'BAD_REQUEST',
      info: 'seek info is missing its start or stop position',
    });
    expect(resolveSeekRange(seek(oldest, undefined), 3)).toMatchObject({ ok: false, status: 'BAD_REQUEST' });
  });

  it('a stop before the start is BAD_REQUEST naming both', () => {
    expect(resolveSeekRange(seek(specified(8), specified(2)), 10)).toEqual({
      ok: false,
      status: 'BAD_REQUEST',
      info: 'seek start block 8 is after stop block 2',
    });
  });

  it('checks a specified stop before the start ahead of FAIL_IF_NOT_READY, as Fabric’s deliverBlocks: BAD_REQUEST, not NOT_FOUND', () => {
    // Start beyond the height and stop < start: Fabric answers BAD_REQUEST before it looks for the start block.
    expect(resolveSeekRange(seek(specified(9), specified(2), SeekBehavior.FAIL_IF_NOT_READY), 5)).toEqual({
      ok: false,
      status: 'BAD_REQUEST',
      info: 'seek start block 9 is after stop block 2',
    });
    expect(resolveSeekRange(seek(nextCommit, specified(1), SeekBehavior.FAIL_IF_NOT_READY), 5)).toMatchObject({ ok: false, status: 'BAD_REQUEST' });
    // A newest stop is not compared with the start first (Fabric compares only a specified stop): NOT_FOUND.
    expect(resolveSeekRange(seek(specified(9), newest, SeekBehavior.FAIL_IF_NOT_READY), 5)).toMatchObject({ ok: false, status: 'NOT_FOUND' });
  });

  it('an unknown behavior is BAD_REQUEST', () => {
    expect(resolveSeekRange(seek(oldest, newest, 7 as SeekBehavior), 3)).toEqual({ ok: false, status: 'BAD_REQUEST', info: 'seek info behavior 7 is unknown' });
  });
});
