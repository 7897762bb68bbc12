// Operating errors of the storage layer. Codes are stable (callers and tests
// match on them); messages name the file, the channel and the index or block
// number involved, so an operator can find the bad record.

import { OrdererError } from '../errors.js';

/** Where a bad record lives. `channel`/`index` are undefined when the record is unreadable before them. */
export interface RecordLocation {
  readonly file: string;
  readonly channel?: string | undefined;
  /** Raft index, block number or byte offset, as `what` says. */
  readonly index?: number | undefined;
  readonly what?: 'raft index' | 'block number' | 'byte offset' | 'meta' | undefined;
}

export function describeLocation(at: RecordLocation): string {
  const channel = at.channel === undefined ? 'channel unknown' : `channel "${at.channel}"`;
  const index = at.index === undefined ? 'index unknown' : `${at.what ?? 'index'} ${at.index}`;
  return `file ${at.file}, ${channel}, ${index}`;
}

/**
 * A record that fails its checksum or does not decode, or an environment that
 * cannot be opened. Start-up stops: committed data is never silently dropped.
 */
export class StorageCorruptError extends OrdererError {
  constructor(
    readonly location: RecordLocation,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('STORAGE_CORRUPT', `storage corrupt at ${describeLocation(location)}: ${reason}`, options);
  }
}

/**
 * A write failed (disk full, I/O error) or the environment is closed. The
 * in-memory state may be ahead of the disk, so the node must stop: every later
 * write is refused with this error too.
 */
export class StorageFailedError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE_FAILED', message, options);
  }
}

/** A block that does not extend the chain: wrong number or wrong previous hash. */
export class LedgerAppendError extends OrdererError {
  constructor(
    readonly channel: string,
    readonly blockNumber: number,
    readonly field: 'number' | 'previousHash' | 'raftIndex',
    readonly expected: string,
    readonly actual: string,
  ) {
    super('LEDGER_BAD_BLOCK', `channel "${channel}": block ${blockNumber} refused: ${field} expected ${expected}, got ${actual}`);
  }
}

/** A read of a block the ledger does not hold (beyond the height). */
export class BlockNotFoundError extends OrdererError {
  constructor(
    readonly channel: string,
    readonly blockNumber: number,
    readonly height: number,
  ) {
    super('LEDGER_BLOCK_NOT_FOUND', `channel "${channel}": block ${blockNumber} not found (height ${height})`);
  }
}

/** Bad options given to the storage at open; the message names the option. */
export class StorageOptionsError extends OrdererError {
  constructor(message: string) {
    super('STORAGE_BAD_OPTIONS', message);
  }
}

/** waitForBlock was aborted by its signal or the ledger was closed. */
export class WaitAbortedError extends OrdererError {
  constructor(message: string) {
    super('LEDGER_WAIT_ABORTED', message);
  }
}

/**
 * dropChannel refused: the channel's storage is open (a Chain, a block puller
 * or a Deliver may still use it: releaseChannel first), or a drop of it is
 * already running; channel() refused while a drop of it is running.
 */
export class ChannelInUseError extends OrdererError {
  constructor(
    readonly channel: string,
    reason: string,
  ) {
    super('STORAGE_CHANNEL_IN_USE', `channel "${channel}": ${reason}`);
  }
}

/** A write (or a block read) through a channel storage after releaseChannel: the channel was removed or is being reset. */
export class ChannelReleasedError extends OrdererError {
  constructor(readonly channel: string) {
    super('STORAGE_CHANNEL_RELEASED', `channel "${channel}": its storage was released (channel removed or reset), it serves no more writes or block reads`);
  }
}
