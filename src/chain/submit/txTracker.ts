// Which transaction ids this channel has ordered or is ordering, so that a
// client's retry, or a former leader's handover of an envelope the leader
// already took, is never ordered twice; and who waits for a tx id to commit
// (Broadcast answered only once the envelope's block is committed).
//
// A tx id is a duplicate when it is
// - in flight on this leader: cut into a block not yet committed (claimed);
// - in a recently committed block: a bounded window filled as blocks are
//   applied (before the ledger's index has them: signing and the group
//   commit come after Raft's commit), at least the newest recentMax tx ids
//   and at most about twice as many; on a node that has checked no tx id
//   yet (a follower) the window's blocks are kept as they are and indexed
//   at the first check, so a follower spends nothing per tx id here, and
//   it keeps only the blocks not yet durable in the ledger when the ledger's
//   index covers at least recentMax ids (a block kept for the window's
//   length, ~130 blocks of 500, outlived young-generation collections: its
//   tx id strings were promoted, ~50 KB per block, for a major GC to reclaim);
// - in the ledger's tx-id index (storage), for older blocks: it covers the
//   channel's newest txIdHorizon tx ids (storage/txIdHorizon.ts); an older
//   tx id is not a duplicate any more and is ordered again.
// A new leader serves only once it applied its whole log, so what its
// predecessors committed is in the window or the index by then.
//
// Each tx id is hashed once (storage's txIdHash) on a leader: the check
// hashes it for the window and the ledger's index alike, the hash stays with
// the claimed id, and its block's commit hands the block's hashes on to the
// ledger's index (onCommitted returns them). The window is the storage's
// duplicate horizon over the kept blocks' ids (typed arrays of hashes, the
// ids read only on a hash hit): a Map of every recent tx id cost a string
// hash and a map insert, look-up and delete per tx id, and a map of 65,536
// strings for every major GC to mark.
import assert from 'node:assert/strict';
import { OrdererError } from '../../errors.js';
import { TxIdHorizon, txIdHash } from '../../storage/index.js';
import { ServiceUnavailableError } from '../errors.js';

/**
 * The envelope's tx id was ordered already (block known) or is being ordered
 * on the leader (block not known yet). The client's answer is SUCCESS with
 * this message as info; the transport carries the code back to a follower.
 */
export class DuplicateTxError extends OrdererError {
  constructor(
    readonly txId: string,
    /** The block holding the first copy; undefined while it is not committed. */
    readonly blockNumber: number | undefined,
  ) {
    super(
      'DUPLICATE_TX',
      blockNumber === undefined
        ? `duplicate: tx ${txId} is already being ordered (not yet committed)`
        : `duplicate: tx ${txId} is already ordered in block ${blockNumber}`,
    );
  }
}

export const DUPLICATE_TX_CODE = 'DUPLICATE_TX';

/** The block number of a duplicate's first copy as an answer's info carries it ("... in block 12"); undefined if not committed. */
export function duplicateBlockOf(info: string): number | undefined {
  const m = /^duplicate: tx \S+ is already ordered in block (\d+)$/.exec(info);
  return m === null ? undefined : Number(m[1]);
}

export interface TxTrackerSettings {
  /** Tx ids of recently committed blocks kept in memory: at least the newest recentMax, at most about twice as many. */
  readonly recentMax: number;
  /** Submits waiting for their block to commit, at most (more are refused: SERVICE_UNAVAILABLE). */
  readonly waitersMax: number;
  /** The ledger's index: block number of a committed tx id, undefined if none; `hash` is txIdHash(txId). */
  readonly ledgerLookup: (txId: string, hash: number) => number | undefined;
  /**
   * The ledger's durable height, given only when its index covers at least the newest
   * recentMax durable tx ids: the blocks below it are the ledger's to answer for, and a node
   * that has checked no tx id yet keeps only the blocks at or above it.
   */
  readonly ledgerHeight?: () => number;
}

type Waiter = (blockNumber: number) => void;

export class TxTracker {
  /** Claimed by this leader's pipeline, not yet seen committed: tx id → its txIdHash. Cleared when it stops leading. */
  readonly #inflight = new Map<string, number>();
  /** Hashes of the window's tx ids → block numbers (at least the newest recentMax ids). */
  readonly #recent: TxIdHorizon;
  /**
   * The window's blocks by number, oldest first (Map order = commit order):
   * a hash hit in #recent is confirmed by reading the block's ids.
   * Invariant: holds exactly the blocks #recent covers that have tx ids.
   */
  readonly #recentBlocks = new Map<number, readonly string[]>();
  readonly #waiters = new Map<string, Waiter[]>();
  #waiting = 0;
  /**
   * False until the first duplicate check: until then (a follower that never
   * led nor took a submit) committed blocks are kept in #unindexed as they
   * are, nothing per tx id, and #recent is filled from them at that check.
   */
  #indexing = false;
  /**
   * Committed blocks not yet in #recent, oldest first. Invariant: empty once
   * #indexing; the blocks after the first hold fewer than recentMax tx ids
   * (an older block's ids would all be evicted by the newer ones).
   */
  readonly #unindexed: { readonly number: number; readonly txIds: readonly string[] }[] = [];
  /** Tx ids in #unindexed (with repeats and ''). */
  #unindexedCount = 0;

  constructor(private readonly settings: TxTrackerSettings) {
    assert(Number.isSafeInteger(settings.recentMax) && settings.recentMax > 0, 'recentMax must be a positive integer');
    this.#recent = TxIdHorizon.empty({ txIdsMax: settings.recentMax });
  }

  get inflightCount(): number {
    return this.#inflight.size;
  }

  get waitingCount(): number {
    return this.#waiting;
  }

  /** The duplicate a tx id would be, or undefined; '' (CONFIG envelopes) is never a duplicate. */
  duplicateOf(txId: string): DuplicateTxError | undefined {
    if (txId === '') return undefined;
    return this.#duplicateOf(txId, txIdHash(txId));
  }

  #duplicateOf(txId: string, hash: number): DuplicateTxError | undefined {
    if (!this.#indexing) this.#startIndexing();
    if (this.#inflight.has(txId)) return new DuplicateTxError(txId, undefined);
    const block = this.#recent.locate(txId, this.#blockTxIds, hash)?.blockNumber ?? this.settings.ledgerLookup(txId, hash);
    return block === undefined ? undefined : new DuplicateTxError(txId, block);
  }

  /** The leader cuts `txId`: undefined when it may (now claimed), else the duplicate it is. */
  claim(txId: string): DuplicateTxError | undefined {
    if (txId === '') return undefined;
    const hash = txIdHash(txId);
    const duplicate = this.#duplicateOf(txId, hash);
    if (duplicate === undefined) this.#inflight.set(txId, hash);
    return duplicate;
  }

  /** Claimed envelopes go back to be cut again (a dropped proposal, a lost one): no longer in flight. */
  release(txIds: Iterable<string>): void {
    for (const txId of txIds) this.#inflight.delete(txId);
  }

  /** Not leading any more: whatever was in flight is handed over or left to Raft. */
  releaseAll(): void {
    this.#inflight.clear();
  }

  /**
   * Block `number` was committed (applied on this node) with these tx ids.
   * Returns their txIdHash values (position i for txIds[i]) when this node
   * computed them (it checks duplicates), for the ledger's index to take; undefined otherwise.
   */
  onCommitted(number: number, txIds: readonly string[]): Int32Array | undefined {
    let hashes: Int32Array | undefined;
    if (this.#indexing) {
      hashes = this.#hashesOf(txIds);
      this.#index(number, txIds, hashes);
    } else this.#keepUnindexed(number, txIds);
    if (this.#inflight.size === 0 && this.#waiting === 0) return hashes;
    for (const txId of txIds) {
      if (txId === '') continue;
      this.#inflight.delete(txId);
      if (this.#waiting > 0) this.#wake(txId, number);
    }
    return hashes;
  }

  /** The hashes of a committed block's ids: carried from the claim for this leader's own, computed for the rest. */
  #hashesOf(txIds: readonly string[]): Int32Array {
    const hashes = new Int32Array(txIds.length);
    const inflight = this.#inflight;
    for (let i = 0; i < txIds.length; i++) {
      const txId = txIds[i]!;
      hashes[i] = (inflight.size === 0 ? undefined : inflight.get(txId)) ?? txIdHash(txId);
    }
    return hashes;
  }

  readonly #blockTxIds = (blockNumber: number): readonly string[] => this.#recentBlocks.get(blockNumber) ?? [];

  #index(number: number, txIds: readonly string[], hashes?: Int32Array): void {
    if (txIds.length === 0 || !this.#recent.add(number, txIds, hashes)) return;
    this.#recentBlocks.set(number, txIds);
    // Blocks the window no longer covers (a rotation dropped its older generation) are forgotten.
    const oldest = this.#recent.oldestBlock ?? number;
    for (const kept of this.#recentBlocks.keys()) {
      if (kept >= oldest) break;
      this.#recentBlocks.delete(kept);
    }
  }

  /**
   * The block is kept whole; the oldest kept block goes once the newer ones
   * hold recentMax tx ids: the window covers the newest recentMax ids, and
   * no more are needed (with repeats the window keeps fewer distinct ids,
   * and the ledger's index answers for the older ones); and with
   * settings.ledgerHeight, once it is durable in the ledger.
   */
  #keepUnindexed(number: number, txIds: readonly string[]): void {
    this.#unindexed.push({ number, txIds });
    this.#unindexedCount += txIds.length;
    while (this.#unindexedCount - this.#unindexed[0]!.txIds.length >= this.settings.recentMax) {
      this.#unindexedCount -= this.#unindexed.shift()!.txIds.length;
    }
    const durable = this.settings.ledgerHeight?.();
    if (durable === undefined) return;
    while (this.#unindexed.length > 0 && this.#unindexed[0]!.number < durable) this.#unindexedCount -= this.#unindexed.shift()!.txIds.length;
  }

  #startIndexing(): void {
    this.#indexing = true;
    for (const block of this.#unindexed) this.#index(block.number, block.txIds);
    this.#unindexed.length = 0;
    this.#unindexedCount = 0;
  }

  /**
   * Resolves with the block number once `txId` is committed here; rejects
   * with ServiceUnavailableError after `timeoutMs` or when `signal` aborts.
   * Register BEFORE the envelope is ordered, so its commit cannot be missed.
   */
  waitCommitted(txId: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
    assert(txId !== '', 'waitCommitted needs a tx id');
    if (this.#waiting >= this.settings.waitersMax) {
      return Promise.reject(new ServiceUnavailableError(`${this.#waiting} submits already wait for their block to commit`));
    }
    if (signal.aborted) return Promise.reject(new ServiceUnavailableError(`tx ${txId}: the channel is closing`));
    return new Promise<number>((resolve, reject) => {
      const done = (err: Error | undefined, block?: number): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#remove(txId, waiter);
        if (err === undefined) resolve(block!);
        else reject(err);
      };
      const waiter: Waiter = (block) => done(undefined, block);
      const onAbort = (): void => done(new ServiceUnavailableError(`tx ${txId}: the channel closed before its block committed`));
      const timer = setTimeout(
        () =>
          done(new ServiceUnavailableError(`tx ${txId} was not committed within ${timeoutMs} ms (it may still be; a retry is answered as a duplicate if so)`)),
        timeoutMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      const list = this.#waiters.get(txId);
      if (list === undefined) this.#waiters.set(txId, [waiter]);
      else list.push(waiter);
      this.#waiting++;
    });
  }

  #wake(txId: string, number: number): void {
    const list = this.#waiters.get(txId);
    if (list === undefined) return;
    for (const waiter of [...list]) waiter(number);
  }

  #remove(txId: string, waiter: Waiter): void {
    const list = this.#waiters.get(txId);
    const i = list?.indexOf(waiter) ?? -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.#waiters.delete(txId);
    this.#waiting--;
  }
}
