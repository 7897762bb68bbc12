// One channel's block ledger: a hash chain of blocks, appended through the
// node's group commit, read synchronously from the engine. A block becomes
// visible (height, reads, waitForBlock) only once durable, so Deliver never
// streams a block a crash could take back.

import assert from 'node:assert/strict';
import type { StorageBackend, RecoveredLedger, TxLocation } from './backend.js';
import { BlockNotFoundError, ChannelReleasedError, LedgerAppendError, WaitAbortedError } from './errors.js';
import type { GroupCommitter } from './groupCommit.js';
import type { LedgerBlock } from './walOps.js';

export type AppendOutcome =
  | 'appended'
  /** Already in the ledger from the same Raft entry (replayed after a restart): not written twice. */
  | 'duplicate';

/** Deliver streams wait here; a bound so a flood of idle streams cannot grow it without limit. */
const waitersMax = 100_000;

/**
 * The last durable blocks kept as appended, at most: Deliver streams following
 * the chain's end read each new block once per stream, and reading it back
 * from the engine cost a block-sized copy, a checksum pass and (LMDB) a join
 * of its pieces, per block per stream. Bounds the memory held: a few blocks
 * (~500 KB each), whose bulk the Raft log holds anyway until compaction.
 */
export const RECENT_BLOCKS_KEPT = 4;

interface Waiter {
  readonly number: number;
  resolve(): void;
  reject(err: Error): void;
}

export class BlockLedger {
  /** Durable chain end. Invariant: #height <= #pendingHeight. */
  #height: number;
  #lastConfig: number;
  /** Chain end including appends not yet durable: the next append is checked against it. */
  #pendingHeight: number;
  #pendingLastHash: Uint8Array;
  #pendingLastRaftIndex: number;
  /** Header hashes of appended, not yet durable blocks (duplicate checks). */
  #pendingHashes = new Map<number, Uint8Array>();
  #waiters: Waiter[] = [];
  #closed = false;
  /** Set by release (WalEnvironment.releaseChannel): appends are refused from then on. */
  #released = false;
  /** Settles after every append submitted so far; never rejects (append's caller gets the error). */
  #lastWrite: Promise<unknown> = Promise.resolve();
  /** Durable blocks as appended, by number: the last RECENT_BLOCKS_KEPT, oldest first. */
  readonly #recent = new Map<number, LedgerBlock>();

  constructor(
    readonly channel: string,
    private readonly backend: StorageBackend,
    private readonly committer: GroupCommitter,
    recovered: RecoveredLedger,
  ) {
    this.#height = recovered.height;
    this.#lastConfig = recovered.lastConfig;
    this.#pendingHeight = recovered.height;
    this.#pendingLastHash = recovered.lastHeaderHash;
    this.#pendingLastRaftIndex = recovered.lastRaftIndex;
  }

  /** Number of durable blocks = the number of the next block. */
  get height(): number {
    return this.#height;
  }

  /** Number of the last durable config block, -1 if none. */
  get lastConfig(): number {
    return this.#lastConfig;
  }

  /** Raft index of the last appended block: entries at or below it were already applied. */
  get lastRaftIndex(): number {
    return this.#pendingLastRaftIndex;
  }

  /**
   * Appends `block` if its number is the height and its previousHash the header
   * hash of the last block; resolves when durable. A block from a Raft entry at
   * or below lastRaftIndex that is already in the ledger is a replay after a
   * restart: 'duplicate', nothing written. Throws LedgerAppendError otherwise.
   */
  async append(block: LedgerBlock): Promise<AppendOutcome> {
    if (this.#released) throw new ChannelReleasedError(this.channel);
    if (this.#isReplay(block)) return 'duplicate';
    this.#checkExtendsChain(block);
    this.#pendingHeight = block.number + 1;
    this.#pendingLastHash = block.headerHash;
    this.#pendingLastRaftIndex = block.raftIndex;
    this.#pendingHashes.set(block.number, block.headerHash);
    const isConfig = block.isConfig;
    const written = this.committer.submit([{ kind: 'block', channel: this.channel, block }]);
    this.#lastWrite = Promise.allSettled([this.#lastWrite, written]);
    await written;
    // Syncs complete in submission order, so durable heights only grow by one here.
    assert.equal(this.#height, block.number, 'blocks become durable in order');
    this.#pendingHashes.delete(block.number);
    this.#height = block.number + 1;
    if (isConfig) this.#lastConfig = block.number;
    this.#keepRecent(block);
    this.#wake();
    return 'appended';
  }

  /** Block `number`; throws BlockNotFoundError at or past the height, ChannelReleasedError once released (its data may be dropped). */
  block(number: number): LedgerBlock {
    if (this.#released) throw new ChannelReleasedError(this.channel);
    if (!Number.isSafeInteger(number) || number < 0 || number >= this.#height) {
      throw new BlockNotFoundError(this.channel, number, this.#height);
    }
    return this.#recent.get(number) ?? this.backend.readBlock(this.channel, number);
  }

  /** Blocks in [lo, hi), read one at a time (each 1 MiB block is not kept longer than the caller keeps it). */
  *blocks(lo: number, hi: number): Generator<LedgerBlock> {
    assert(lo <= hi, `blocks: invalid range [${lo}, ${hi})`);
    if (hi > this.#height) throw new BlockNotFoundError(this.channel, hi - 1, this.#height);
    for (let n = lo; n < hi; n++) yield this.block(n);
  }

  txLocation(txId: string, hash?: number): TxLocation | undefined {
    return this.backend.txLocation(this.channel, txId, hash);
  }

  /** How many of the newest durable tx ids txLocation finds, at least: those of the blocks below height, up to this many. */
  get txIdsCovered(): number {
    return this.backend.txIdsCovered;
  }

  /** Resolves once block `number` is durable; rejects with WaitAbortedError on abort or close. */
  waitForBlock(number: number, signal?: AbortSignal): Promise<void> {
    assert(Number.isSafeInteger(number) && number >= 0, `waitForBlock: bad block number ${number}`);
    if (number < this.#height) return Promise.resolve();
    if (this.#closed) return Promise.reject(new WaitAbortedError(`channel "${this.channel}": ledger closed`));
    if (signal?.aborted) return Promise.reject(new WaitAbortedError(`channel "${this.channel}": wait for block ${number} aborted`));
    if (this.#waiters.length >= waitersMax) {
      return Promise.reject(new WaitAbortedError(`channel "${this.channel}": more than ${waitersMax} waiters for blocks`));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new WaitAbortedError(`channel "${this.channel}": wait for block ${number} aborted`));
      };
      const waiter: Waiter = {
        number,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * WalEnvironment.releaseChannel: refuses later appends, rejects every
   * waiter, and resolves once the appends already submitted have settled.
   */
  async release(): Promise<void> {
    this.#released = true;
    this.#recent.clear();
    this.close();
    await this.#lastWrite;
  }

  /** Rejects every waiter; called when the environment closes. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new WaitAbortedError(`channel "${this.channel}": ledger closed`));
  }

  /** `block` just became durable: the block reads return it as it was written (its bytes, or its pieces unjoined). */
  #keepRecent(block: LedgerBlock): void {
    this.#recent.set(block.number, block);
    if (this.#recent.size > RECENT_BLOCKS_KEPT) this.#recent.delete(this.#recent.keys().next().value as number);
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.number < this.#height);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.number >= this.#height);
    for (const w of ready) w.resolve();
  }

  #isReplay(block: LedgerBlock): boolean {
    if (block.number >= this.#pendingHeight || block.raftIndex === 0 || block.raftIndex > this.#pendingLastRaftIndex) return false;
    const stored = this.#pendingHashes.get(block.number) ?? this.backend.readBlock(this.channel, block.number).headerHash;
    if (!bytesEqual(stored, block.headerHash)) {
      throw new LedgerAppendError(this.channel, block.number, 'previousHash', `the stored block ${hex(stored)}`, `a different block ${hex(block.headerHash)}`);
    }
    return true;
  }

  #checkExtendsChain(block: LedgerBlock): void {
    if (block.number !== this.#pendingHeight) {
      throw new LedgerAppendError(this.channel, block.number, 'number', String(this.#pendingHeight), String(block.number));
    }
    if (this.#pendingHeight > 0 && !bytesEqual(block.previousHash, this.#pendingLastHash)) {
      throw new LedgerAppendError(this.channel, block.number, 'previousHash', hex(this.#pendingLastHash), hex(block.previousHash));
    }
    if (block.raftIndex !== 0 && block.raftIndex <= this.#pendingLastRaftIndex) {
      throw new LedgerAppendError(this.channel, block.number, 'raftIndex', `> ${this.#pendingLastRaftIndex}`, String(block.raftIndex));
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') || '(empty)';
}
