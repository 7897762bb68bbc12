// Turns a Deliver request's SeekInfo into the block numbers to send, with the
// rules of Fabric's common/deliver handler, evaluated against the height the
// channel has when the request arrives.

import { SeekBehavior, type SeekInfo, type SeekPosition } from '../block/index.js';

/** Blocks [first, last] (both inclusive) to stream; `last` may be beyond the current height. */
export interface SeekRange {
  /** Invariant: 0 <= first <= last; `first` is a safe integer, `last` may be SEEK_MAX (unbounded). */
  readonly first: number;
  readonly last: number;
  /** FAIL_IF_NOT_READY: answer NOT_FOUND instead of waiting for a block that does not exist yet. */
  readonly failIfNotReady: boolean;
}

export type SeekResolution =
  | { readonly ok: true; readonly range: SeekRange }
  | { readonly ok: false; readonly status: 'BAD_REQUEST' | 'NOT_FOUND'; readonly info: string };

/**
 * `height` = number of blocks the channel has (the next block's number).
 * Checked in Fabric's order (common/deliver deliverBlocks): start and stop
 * present, a specified stop before the start (BAD_REQUEST), then a start
 * beyond the height with FAIL_IF_NOT_READY (NOT_FOUND).
 */
export function resolveSeekRange(seek: SeekInfo, height: number): SeekResolution {
  if (seek.start === undefined || seek.stop === undefined) {
    return { ok: false, status: 'BAD_REQUEST', info: 'seek info is missing its start or stop position' };
  }
  if (seek.behavior !== SeekBehavior.BLOCK_UNTIL_READY && seek.behavior !== SeekBehavior.FAIL_IF_NOT_READY) {
    return { ok: false, status: 'BAD_REQUEST', info: `seek info behavior ${seek.behavior} is unknown` };
  }
  const failIfNotReady = seek.behavior === SeekBehavior.FAIL_IF_NOT_READY;
  const newest = Math.max(height - 1, 0);
  const first = startNumber(seek.start, height, newest);
  const last = stopNumber(seek.stop, seek.start, first, newest);
  const before = (): SeekResolution => ({ ok: false, status: 'BAD_REQUEST', info: `seek start block ${first} is after stop block ${last}` });
  if (seek.stop.type === 'specified' && last < first) return before();
  if (failIfNotReady && first >= height) {
    return { ok: false, status: 'NOT_FOUND', info: `block ${first} does not exist yet (height ${height}) and behavior is FAIL_IF_NOT_READY` };
  }
  // A newest stop below a start beyond the height: Fabric would stream from the start forever; an empty range is refused instead.
  if (last < first) return before();
  return { ok: true, range: { first, last, failIfNotReady } };
}

function startNumber(start: SeekPosition, height: number, newest: number): number {
  switch (start.type) {
    case 'oldest':
      return 0;
    case 'newest':
      return newest;
    case 'specified':
      // SEEK_MAX (a MaxUint64 start) is a block that never comes: wait for the last safe number instead,
      // as the ledger counts in safe integers.
      return Math.min(start.number, Number.MAX_SAFE_INTEGER);
    case 'nextCommit':
      return height;
  }
}

function stopNumber(stop: SeekPosition, start: SeekPosition, first: number, newest: number): number {
  switch (stop.type) {
    case 'oldest':
    case 'nextCommit':
      return first;
    case 'newest':
      // Newest..newest is exactly one block even if another commits meanwhile (Fabric's rule).
      return start.type === 'newest' ? first : newest;
    case 'specified':
      return stop.number;
  }
}
