// txId -> (block, position) for the LMDB engine, without a record per
// transaction: every block's head already stores its tx ids, durably and
// checksummed with the block. Per channel a bounded duplicate horizon
// (txIdHorizon.ts: block numbers by tx id hash, not the ids themselves, for
// the newest tx ids only) is built on the first txLocation of the channel
// (reading its newest blocks backwards) and then kept current as batches
// commit; until someone asks, appending a block costs nothing per tx.
// A lookup reads the ids of the blocks the hash names (none for a new tx id,
// nearly always) to find the id and its position.
// The first occurrence of a tx id within the horizon wins, as a replayed duplicate must not move it.

import type { TxIdCoverage, TxLocation } from './backend.js';
import { TxIdHorizon, type TxIdHorizonSettings } from './txIdHorizon.js';
import type { WalOp } from './walOps.js';

/** How the index reads the ledger: the durable height (to build it), one block's tx ids (to build it and to confirm a hash hit). */
export interface TxIdSource {
  height(): number;
  txIdsOf(blockNumber: number): readonly string[];
}

export class LmdbTxIndex {
  /** Per channel, once built. Invariant: reflects exactly the committed blocks below the channel's durable height (within its horizon). */
  readonly #channels = new Map<string, TxIdHorizon>();

  constructor(private readonly settings: TxIdHorizonSettings) {}

  /** `source.height` is read only the first time the channel is asked about. */
  /** `hash`: txIdHash(txId) when the caller computed it already. */
  locate(channel: string, txId: string, source: TxIdSource, hash?: number): TxLocation | undefined {
    let horizon = this.#channels.get(channel);
    if (horizon === undefined) {
      horizon = TxIdHorizon.build(channel, source.height(), (n) => source.txIdsOf(n), this.settings);
      this.#channels.set(channel, horizon);
    }
    return horizon.locate(txId, (n) => source.txIdsOf(n), hash);
  }

  /** What each built index covers, by channel. */
  coverage(): Map<string, TxIdCoverage> {
    const out = new Map<string, TxIdCoverage>();
    for (const [channel, horizon] of this.#channels) {
      const coverage = horizon.coverage;
      if (coverage !== undefined) out.set(channel, coverage);
    }
    return out;
  }

  /** A batch committed: its blocks join the built indexes; a full channel drop forgets the channel's. */
  committed(ops: readonly WalOp[]): void {
    if (this.#channels.size === 0) return;
    for (const op of ops) {
      if (op.kind === 'dropChannel') {
        if (!op.keepLedger) this.#channels.delete(op.channel);
      } else if (op.kind === 'block') {
        this.#channels.get(op.channel)?.add(op.block.number, op.block.txIds, op.block.txIdHashes);
      }
    }
  }
}
