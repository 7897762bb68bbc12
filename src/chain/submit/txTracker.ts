// Which transaction ids this channel has ordered or is ordering, so that a
// client's retry, or a former leader's handover of an envelope the leader
// already took, is never ordered twice; and who waits for a tx id to commit
// (Broadcast answered only once the envelope's block is committed).
//
// A tx id is a duplicate when it is
// - in flight on this leader: cut into a block not yet committed (claimed);
// - in a recently committed block: a bounded window filled as blocks are
//   applied (before the ledger's index has them: signing and the group
//   commit come after Raft's commit); on a node that has checked no tx id
//   yet (a follower) the window's blocks are kept as they are and indexed
//   at the first check, so a follower spends nothing per tx id here;
// - in the ledger's tx-id index (storage), for older blocks: it covers the
//   channel's newest txIdHorizon tx ids (storage/txIdHorizon.ts); an older
//   tx id is not a duplicate any more and is ordered again.
// A new leader serves only once it applied its whole log, so what its
// predecessors committed is in the window or the index by then.

import assert from 'node:assert/strict';
import { OrdererError } from '../../errors.js';
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
  /** Tx ids of recently committed blocks kept in memory, at most. */
  readonly recentMax: number;
  /** Submits waiting for their block to commit, at most (more are refused: SERVICE_UNAVAILABLE). */
  readonly waitersMax: number;
  /** The ledger's index: block number of a committed tx id, undefined if none. */
  readonly ledgerLookup: (txId: string) => number | undefined;
}

type Waiter = (blockNumber: number) => void;

export class TxTracker {
  /** Claimed by this leader's pipeline, not yet seen committed. Cleared when it stops leading. */
  readonly #inflight = new Set<string>();
  /** tx id → block number, insertion order = commit order. Invariant: size <= recentMax. */
  readonly #recent = new Map<string, number>();
  /**
   * The keys of #recent in commit order, as a ring: the oldest is evicted
   * from here in O(1). (Evicting by iterating the Map from its start walked
   * over every slot deleted since its last rehash: up to recentMax per block.)
   * Invariant: #ring[(#ringHead + i) % recentMax] for i < #recent.size are exactly #recent's keys, oldest first.
   */
  readonly #ring: string[] = [];
  #ringHead = 0;
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
    if (!this.#indexing) this.#startIndexing();
    if (this.#inflight.has(txId)) return new DuplicateTxError(txId, undefined);
    const block = this.#recent.get(txId) ?? this.settings.ledgerLookup(txId);
    return block === undefined ? undefined : new DuplicateTxError(txId, block);
  }

  /** The leader cuts `txId`: undefined when it may (now claimed), else the duplicate it is. */
  claim(txId: string): DuplicateTxError | undefined {
    const duplicate = this.duplicateOf(txId);
    if (duplicate === undefined && txId !== '') this.#inflight.add(txId);
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

  /** Block `number` was committed (applied on this node) with these tx ids. */
  onCommitted(number: number, txIds: readonly string[]): void {
    if (this.#indexing) this.#index(number, txIds);
    else this.#keepUnindexed(number, txIds);
    if (this.#inflight.size === 0 && this.#waiting === 0) return;
    for (const txId of txIds) {
      if (txId === '') continue;
      this.#inflight.delete(txId);
      if (this.#waiting > 0) this.#wake(txId, number);
    }
  }

  #index(number: number, txIds: readonly string[]): void {
    const { recentMax } = this.settings;
    for (const txId of txIds) {
      if (txId === '' || this.#recent.has(txId)) continue;
      if (this.#recent.size === recentMax) this.#evictOldest();
      this.#ring[(this.#ringHead + this.#recent.size) % recentMax] = txId;
      this.#recent.set(txId, number);
    }
  }

  /**
   * The block is kept whole; the oldest kept block goes once the newer ones
   * hold recentMax tx ids: indexing would evict all of its ids (exactly so
   * when no committed block repeats a tx id: with repeats the window keeps
   * fewer distinct ids, and the ledger's index answers for the older ones).
   */
  #keepUnindexed(number: number, txIds: readonly string[]): void {
    this.#unindexed.push({ number, txIds });
    this.#unindexedCount += txIds.length;
    while (this.#unindexedCount - this.#unindexed[0]!.txIds.length >= this.settings.recentMax) {
      this.#unindexedCount -= this.#unindexed.shift()!.txIds.length;
    }
  }

  #startIndexing(): void {
    this.#indexing = true;
    for (const block of this.#unindexed) this.#index(block.number, block.txIds);
    this.#unindexed.length = 0;
    this.#unindexedCount = 0;
  }

  #evictOldest(): void {
    this.#recent.delete(this.#ring[this.#ringHead]!);
    this.#ringHead = (this.#ringHead + 1) % this.settings.recentMax;
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
