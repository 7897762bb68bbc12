// txId -> (block, position) for the LMDB engine, without a record per
// transaction: every block's head already stores its tx ids, durably and
// checksummed with the block. The index is built in memory on the first
// txLocation of a channel (one pass over its blocks) and then kept current as
// batches commit; until someone asks, appending a block costs nothing per tx.
// The first occurrence of a tx id wins, as a replayed duplicate must not move it.

import type { TxLocation } from './backend.js';
import type { WalOp } from './walOps.js';

export class LmdbTxIndex {
  /** Per channel, once built. Invariant: reflects exactly the committed blocks below the channel's durable height. */
  readonly #channels = new Map<string, Map<string, TxLocation>>();

  /**
   * `blocks` yields the channel's committed blocks' tx ids in block order;
   * called only the first time the channel is asked about.
   */
  locate(channel: string, txId: string, blocks: () => Iterable<{ number: number; txIds: readonly string[] }>): TxLocation | undefined {
    let index = this.#channels.get(channel);
    if (index === undefined) {
      index = new Map();
      for (const block of blocks()) add(index, block.number, block.txIds);
      this.#channels.set(channel, index);
    }
    return index.get(txId);
  }

  /** A batch committed: its blocks join the built indexes; a full channel drop forgets the channel's. */
  committed(ops: readonly WalOp[]): void {
    if (this.#channels.size === 0) return;
    for (const op of ops) {
      if (op.kind === 'dropChannel') {
        if (!op.keepLedger) this.#channels.delete(op.channel);
      } else if (op.kind === 'block') {
        const index = this.#channels.get(op.channel);
        if (index !== undefined) add(index, op.block.number, op.block.txIds);
      }
    }
  }
}

function add(index: Map<string, TxLocation>, blockNumber: number, txIds: readonly string[]): void {
  txIds.forEach((txId, position) => {
    if (!index.has(txId)) index.set(txId, { blockNumber, position });
  });
}
