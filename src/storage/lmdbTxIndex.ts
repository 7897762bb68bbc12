// txId -> (block, position) for the LMDB engine, without a record per
// transaction: every block's head already stores its tx ids, durably and
// checksummed with the block. An in-memory hash index (txIdHashes.ts: block
// numbers by tx id hash, not the ids themselves) is built on the first
// txLocation of a channel (one pass over its blocks) and then kept current as
// batches commit; until someone asks, appending a block costs nothing per tx.
// A lookup reads the ids of the blocks the hash names (none for a new tx id,
// nearly always) to find the id and its position.
// The first occurrence of a tx id wins, as a replayed duplicate must not move it.

import type { TxLocation } from './backend.js';
import { TxIdHashes } from './txIdHashes.js';
import type { WalOp } from './walOps.js';

/** How the index reads the ledger: every committed block's tx ids in block order (to build it), one block's (to confirm a hash hit). */
export interface TxIdSource {
  blocks(): Iterable<{ number: number; txIds: readonly string[] }>;
  txIdsOf(blockNumber: number): readonly string[];
}

export class LmdbTxIndex {
  /** Per channel, once built. Invariant: reflects exactly the committed blocks below the channel's durable height. */
  readonly #channels = new Map<string, TxIdHashes>();

  constructor(private readonly newIndex: () => TxIdHashes = () => new TxIdHashes()) {}

  /** `source.blocks` is read only the first time the channel is asked about. */
  locate(channel: string, txId: string, source: TxIdSource): TxLocation | undefined {
    let index = this.#channels.get(channel);
    if (index === undefined) {
      index = this.newIndex();
      for (const block of source.blocks()) index.add(block.number, block.txIds);
      this.#channels.set(channel, index);
    }
    for (const blockNumber of index.candidates(txId)) {
      const position = source.txIdsOf(blockNumber).indexOf(txId);
      if (position >= 0) return { blockNumber, position };
    }
    return undefined;
  }

  /** A batch committed: its blocks join the built indexes; a full channel drop forgets the channel's. */
  committed(ops: readonly WalOp[]): void {
    if (this.#channels.size === 0) return;
    for (const op of ops) {
      if (op.kind === 'dropChannel') {
        if (!op.keepLedger) this.#channels.delete(op.channel);
      } else if (op.kind === 'block') {
        this.#channels.get(op.channel)?.add(op.block.number, op.block.txIds);
      }
    }
  }
}
