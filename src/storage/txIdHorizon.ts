// The duplicate horizon of one channel: which of its most recent committed
// tx ids the orderer still recognizes (txLocation), on both engines. Bounded:
// it covers at least the newest `txIdsMax` tx ids of the channel (whole
// blocks), at most about twice as many, and never the whole ledger.
//
// Two generations of tx-id hash tables (txIdHashes.ts): committed blocks go
// into the current one; a block that would take it past txIdsMax ids first
// turns it into the previous one, and the previous one is dropped (its arrays
// are cleared and reused for the new current one, so memory stays flat: at
// most two tables of 2 × txIdsMax slots, 8 bytes each, with txIdsMax a power
// of two; 32 MiB at 1,048,576). Right after a rotation the previous
// generation plus the block that caused it hold more than txIdsMax ids, and
// from then on the covered ids only grow until the next rotation: the newest
// txIdsMax ids are always covered.
//
// Built on a channel's first lookup from the end of its ledger backwards,
// reading only the blocks that hold its newest txIdsMax ids (the whole chain
// was read before, at the worst moment: a new leader's first duplicate check).
//
// A tx id older than the horizon is not found: it would be ordered again.

import type { Logger } from 'pino';
import type { TxIdCoverage, TxLocation } from './backend.js';
import { TxIdHashes, txIdHash } from './txIdHashes.js';

/** Default of txIdsMax: the newest 1,048,576 tx ids of each channel (32 MiB of tables at most per channel). */
export const TX_ID_HORIZON_DEFAULT = 1_048_576;
/** Largest txIdsMax accepted (two tables of 2^29 slots would be 8 GiB). */
export const TX_ID_HORIZON_MAX = 2 ** 28;

export interface TxIdHorizonSettings {
  /** Tx ids of the channel's newest blocks covered at least. */
  readonly txIdsMax: number;
  /** Where the first build of a channel's horizon is logged. */
  readonly logger?: Logger | undefined;
  /** Tests only: the tx id hash (a constant forces collisions). */
  readonly hash?: ((txId: string) => number) | undefined;
}

export class TxIdHorizon {
  readonly #txIdsMax: number;
  readonly #hash: (txId: string) => number;
  /** The generation committed blocks go into. */
  #current = new TxIdHashes();
  /** The generation before, until the next rotation drops it. */
  #previous: TxIdHashes | undefined;
  /** Tx ids (with repeats) added to #current. Invariant: <= #txIdsMax unless its only block holds more. */
  #currentIds = 0;
  #previousIds = 0;
  /** The newest block added or read by the build; -1 if none. */
  #newest = -1;
  /**
   * True when #hash is txIdHash: only then is a hash the caller computed
   * (txIdHash, carried from an earlier step) the one this horizon holds.
   */
  readonly #takesCarriedHashes: boolean;
  /** Reused by locate: the blocks whose ids share the hash (nearly always none). */
  readonly #candidates: number[] = [];

  private constructor(settings: TxIdHorizonSettings) {
    this.#txIdsMax = settings.txIdsMax;
    this.#hash = settings.hash ?? txIdHash;
    this.#takesCarriedHashes = this.#hash === txIdHash;
  }

  /** A horizon with no block yet, filled by add as blocks commit (a window of recent blocks kept by its owner). */
  static empty(settings: TxIdHorizonSettings): TxIdHorizon {
    return new TxIdHorizon(settings);
  }

  /**
   * The horizon of a ledger of `height` blocks, reading `txIdsOf` from block
   * height - 1 down, only as far as the newest txIdsMax tx ids reach.
   */
  static build(channel: string, height: number, txIdsOf: (blockNumber: number) => readonly string[], settings: TxIdHorizonSettings): TxIdHorizon {
    const started = performance.now();
    const horizon = new TxIdHorizon(settings);
    horizon.#newest = height - 1;
    let covered = 0;
    let table = horizon.#current;
    for (let n = height - 1; n >= 0 && covered < horizon.#txIdsMax; n--) {
      const txIds = txIdsOf(n);
      // The newest blocks fill the current generation as committing them would have; the next older one goes to the previous.
      if (table === horizon.#current && horizon.#mustRotate(n, txIds.length)) {
        horizon.#previous = new TxIdHashes();
        table = horizon.#previous;
      }
      table.add(n, txIds, horizon.#hash);
      if (table === horizon.#current) horizon.#currentIds += txIds.length;
      else horizon.#previousIds += txIds.length;
      covered += txIds.length;
    }
    const coverage = horizon.coverage;
    settings.logger?.info(
      {
        channel,
        txIdHorizon: horizon.#txIdsMax,
        height,
        oldestBlock: coverage?.oldestBlock,
        txIds: coverage?.txIds,
        ms: Math.round(performance.now() - started),
      },
      'tx-id duplicate index built: tx ids of older blocks are no longer recognized as duplicates',
    );
    return horizon;
  }

  /** The oldest block covered; undefined while no block with tx ids is. */
  get oldestBlock(): number | undefined {
    return this.#previous?.lowestBlock ?? this.#current.lowestBlock;
  }

  /** What is covered now; undefined while no block with tx ids is. */
  get coverage(): TxIdCoverage | undefined {
    const oldestBlock = this.#previous?.lowestBlock ?? this.#current.lowestBlock;
    return oldestBlock === undefined ? undefined : { oldestBlock, txIds: this.#currentIds + this.#previousIds };
  }

  /** Bytes of the tables. */
  get bytes(): number {
    return this.#current.bytes + (this.#previous?.bytes ?? 0);
  }

  /**
   * Committed block `blockNumber`; one the horizon has already (the build read it as it became durable) is skipped.
   * `hashes`: txIdHash of each of `txIds`, when the caller has them (used only when this horizon hashes with txIdHash).
   * Returns false when the block was skipped.
   */
  add(blockNumber: number, txIds: readonly string[], hashes?: Int32Array): boolean {
    if (blockNumber <= this.#newest) return false;
    this.#newest = blockNumber;
    if (this.#mustRotate(blockNumber, txIds.length)) this.#rotate();
    if (hashes !== undefined && this.#takesCarriedHashes && hashes.length === txIds.length) this.#current.addHashed(blockNumber, hashes);
    else this.#current.add(blockNumber, txIds, this.#hash);
    this.#currentIds += txIds.length;
    return true;
  }

  /**
   * Where `txId` first is among the covered blocks; `txIdsOf` reads a block whose ids share its hash (hit or collision).
   * `hash`: txIdHash(txId) when the caller has it (used only when this horizon hashes with txIdHash).
   */
  locate(txId: string, txIdsOf: (blockNumber: number) => readonly string[], hash?: number): TxLocation | undefined {
    const h = hash !== undefined && this.#takesCarriedHashes ? hash : this.#hash(txId);
    const candidates = this.#candidates;
    candidates.length = 0;
    this.#previous?.collect(h, candidates);
    this.#current.collect(h, candidates);
    if (candidates.length === 0) return undefined;
    // Probe order is not block order (a table grows, a build goes backwards): sorted, the first block holding the id comes first.
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    // A copy: txIdsOf may read a block, and nothing must touch the reused list meanwhile.
    for (const blockNumber of candidates.slice()) {
      const position = txIdsOf(blockNumber).indexOf(txId);
      if (position >= 0) return { blockNumber, position };
    }
    return undefined;
  }

  #mustRotate(blockNumber: number, txIds: number): boolean {
    return this.#currentIds > 0 && (this.#currentIds + txIds > this.#txIdsMax || !this.#current.fits(blockNumber));
  }

  #rotate(): void {
    const dropped = this.#previous;
    this.#previous = this.#current;
    this.#previousIds = this.#currentIds;
    if (dropped === undefined) this.#current = new TxIdHashes();
    else {
      dropped.clear();
      this.#current = dropped;
    }
    this.#currentIds = 0;
  }
}
