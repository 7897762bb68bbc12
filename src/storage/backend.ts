// What the engine-independent channel storage needs from an engine (LMDB or
// native-free files). Writes go through the GroupCommitter (BatchWriter);
// reads here are synchronous.

import type { BatchWriter } from './groupCommit.js';
import type { RecoveredLog } from './memoryLog.js';
import type { LedgerBlock } from './walOps.js';

export type EngineName = 'native' | 'native-free';

/**
 * Durable points inside a channel drop, in order, where crash tests kill the
 * process. native-free: intent-durable, ledger-tombstone-durable,
 * wal-tombstone-durable (full drop), then for each ledger segment rewritten
 * without dead blocks ledger-rewrite-written (.tmp durable) and
 * ledger-segment-rewritten (renamed over the segment); LMDB: intent-durable (the
 * marker transaction), then sweep-step-durable after each sweep transaction.
 */
export type DropStep =
  | 'intent-durable'
  | 'ledger-tombstone-durable'
  | 'wal-tombstone-durable'
  | 'sweep-step-durable'
  | 'ledger-rewrite-written'
  | 'ledger-segment-rewritten';

/** The ledger's summary as found on disk at start-up. */
export interface RecoveredLedger {
  /** Number of blocks; the next block's number. */
  readonly height: number;
  /** Header hash of block height-1 (empty when height = 0). */
  readonly lastHeaderHash: Uint8Array;
  /** Number of the last config block, -1 if none yet. */
  readonly lastConfig: number;
  /** Raft index of block height-1 (0 when height = 0). */
  readonly lastRaftIndex: number;
}

export const emptyRecoveredLedger: RecoveredLedger = {
  height: 0,
  lastHeaderHash: new Uint8Array(0),
  lastConfig: -1,
  lastRaftIndex: 0,
};

export interface TxLocation {
  readonly blockNumber: number;
  /** Index of the envelope in the block's data. */
  readonly position: number;
}

/** What a channel's duplicate horizon (txIdHorizon.ts) covers: blocks oldestBlock.. the newest committed one, holding txIds tx ids (with repeats). */
export interface TxIdCoverage {
  readonly oldestBlock: number;
  readonly txIds: number;
}

export interface StorageBackend extends BatchWriter {
  readonly engine: EngineName;
  /** Directory of the environment. */
  readonly dir: string;
  /** Channels with anything stored. */
  channels(): string[];
  /** The channel's Raft log; throws StorageCorruptError naming file, channel and index. */
  recoverLog(channel: string): RecoveredLog;
  recoverLedger(channel: string): RecoveredLedger;
  /** Block `number` (< durable height); verified against its checksum. The caller owns nothing to free. */
  readBlock(channel: string, number: number): LedgerBlock;
  /**
   * Where `txId` first is among the channel's newest committed tx ids (its
   * duplicate horizon, txIdHorizon.ts); undefined for a tx id not among them.
   */
  txLocation(channel: string, txId: string, hash?: number): TxLocation | undefined;
  /** How many of a channel's newest durable tx ids txLocation finds, at least (its horizon's txIdsMax). */
  readonly txIdsCovered: number;
  /** What each channel's duplicate horizon covers, for the channels whose horizon is built. */
  txIdCoverage(): Map<string, TxIdCoverage>;
  /**
   * After a dropChannel op is durable (the channel reads as dropped from
   * then on): removes whatever that op left on disk, without holding up the
   * group commit; resolves when done. Nothing of the channel is written until then.
   */
  finishDrop(channel: string): Promise<void>;
  /** Called once, after the last write completed. */
  close(): Promise<void>;
}
