// The native-free engine's per-channel state as found on disk and kept up to
// date as batches become durable: the Raft log exactly as persisted (the
// checkpoint source), and the ledger's summary, block positions and txId index.

import assert from 'node:assert/strict';
import type { RecoveredLedger, TxLocation } from '../../src/storage/backend.js';
import { emptyRecoveredLedger } from '../../src/storage/backend.js';
import { MemoryLog } from '../../src/storage/memoryLog.js';
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
   * First occurrence of each txId: built from the blocks at the first lookup
   * (locateTx), kept current from then on; undefined until then, so a node
   * nobody asks (a follower) and the replay at start spend nothing per tx id.
   */
  #txIndex: Map<string, TxLocation> | undefined;

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
    if (this.#txIndex !== undefined) addTxIds(this.#txIndex, block.number, block.txIds);
  }

  /** Where `txId` first is; `read(n)` reads block n (below the height), called only to build the index. */
  locateTx(txId: string, read: (number: number) => { readonly txIds: readonly string[] }): TxLocation | undefined {
    if (this.#txIndex === undefined) {
      const index = new Map<string, TxLocation>();
      for (let n = 0; n < this.blocks.length; n++) addTxIds(index, n, read(n).txIds);
      this.#txIndex = index;
    }
    return this.#txIndex.get(txId);
  }

  /** Bytes a checkpoint of this channel would write, roughly. */
  checkpointBytes(): number {
    const state = this.log.export();
    let n = 256 + state.snapshot.data.length;
    for (const e of state.entries) n += e.data.length + 24;
    return n;
  }
}

function addTxIds(index: Map<string, TxLocation>, blockNumber: number, txIds: readonly string[]): void {
  txIds.forEach((txId, position) => {
    if (!index.has(txId)) index.set(txId, { blockNumber, position });
  });
}
