// The native-free engine's per-channel state as found on disk and kept up to
// date as batches become durable: the Raft log exactly as persisted (the
// checkpoint source), and the ledger's summary, block positions and txId index
// (the duplicate horizon: the newest tx ids only, src/storage/txIdHorizon.ts).

import assert from 'node:assert/strict';
import type { RecoveredLedger, TxIdCoverage, TxLocation } from '../../src/storage/backend.js';
import { emptyRecoveredLedger } from '../../src/storage/backend.js';
import { MemoryLog } from '../../src/storage/memoryLog.js';
import { TxIdHorizon, type TxIdHorizonSettings } from '../../src/storage/txIdHorizon.js';
import type { RecoveredLog } from '../../src/storage/memoryLog.js';
import type { LedgerBlock, WalOp } from '../../src/storage/walOps.js';

/** Where a block record is, to read it back. */
export interface BlockPosition {
  readonly seq: number;
  readonly offset: number;
  readonly recordBytes: number;
}

export class ChannelState {
  /**
   * The Raft log as persisted (not as the live storage has it: that one is
   * ahead by the writes still queued). Entries are shared with the live log,
   * not copied. Checkpoints are written from it.
   */
  log: MemoryLog;
  /** True once any Raft record of the channel was written or replayed (and not dropped since). */
  hasRaftState = false;
  summary: RecoveredLedger = emptyRecoveredLedger;
  /**
   * Replay only: blocks of this channel were missing before block `number`
   * (in `file`): a compaction removed them from a dropped incarnation, so a
   * tombstone must follow; blocks `number`..`next - 1` seen since are dead.
   */
  gap: { next: number; readonly file: string; readonly number: number } | undefined;
  /** Invariant: blocks.length === summary.height (blocks[n] is where block n is). */
  readonly blocks: BlockPosition[] = [];
  /**
   * The blocks of the channel's newest tx ids by tx id hash: built from the
   * newest blocks backwards at the first lookup (locateTx), kept current from
   * then on; undefined until then, so a node nobody asks (a follower) and the
   * replay at start spend nothing per tx id.
   */
  #txIndex: TxIdHorizon | undefined;

  constructor(readonly channel: string) {
    this.log = new MemoryLog(channel);
  }

  /** A persisted Raft op, replayed onto the persisted image. */
  applyRaft(op: WalOp): void {
    this.log.replay(op);
    this.hasRaftState = true;
  }

  /** A checkpoint record: the whole log as it was persisted. */
  restoreCheckpoint(state: RecoveredLog): void {
    this.log = new MemoryLog(this.channel, state);
    this.hasRaftState = true;
  }

  /** A WAL tombstone: the Raft state is gone. */
  dropLog(): void {
    this.log = new MemoryLog(this.channel);
    this.hasRaftState = false;
  }

  /** A ledger tombstone: the blocks and the txId index are gone. Returns where the dropped blocks were (now dead bytes). */
  dropLedger(): BlockPosition[] {
    const dead = this.blocks.splice(0);
    this.gap = undefined;
    this.#txIndex = undefined;
    this.summary = emptyRecoveredLedger;
    return dead;
  }

  /** Nothing stored: the engine forgets the channel (storedChannels no longer lists it). */
  isEmpty(): boolean {
    return !this.hasRaftState && this.summary.height === 0;
  }

  noteBlock(block: LedgerBlock, at: BlockPosition): void {
    assert.equal(block.number, this.blocks.length, `channel "${this.channel}": block positions must stay dense`);
    this.blocks.push(at);
    this.summary = {
      height: block.number + 1,
      lastHeaderHash: block.headerHash,
      lastConfig: block.isConfig ? block.number : this.summary.lastConfig,
      lastRaftIndex: block.raftIndex,
    };
    this.#txIndex?.add(block.number, block.txIds, block.txIdHashes);
  }

  /** Where `txId` first is within the horizon; `txIdsOf(n)` reads block n's tx ids (below the height), to build the index and to confirm a hash hit. */
  locateTx(txId: string, hash: number | undefined, txIdsOf: (number: number) => readonly string[], horizon: TxIdHorizonSettings): TxLocation | undefined {
    this.#txIndex ??= TxIdHorizon.build(this.channel, this.blocks.length, txIdsOf, horizon);
    return this.#txIndex.locate(txId, txIdsOf, hash);
  }

  /** What the built txId index covers; undefined if not built (or nothing committed). */
  get txIdCoverage(): TxIdCoverage | undefined {
    return this.#txIndex?.coverage;
  }

  /** Bytes a checkpoint of this channel would write, roughly. */
  checkpointBytes(): number {
    const state = this.log.export();
    let n = 256 + state.snapshot.data.length + (state.raftId?.configBlock.length ?? 0);
    for (const e of state.entries) n += e.data.length + 24;
    return n;
  }
}
