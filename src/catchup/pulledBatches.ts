// The blocks of one pull from one source, verified per batch as Fabric's
// VerifyBlocks does: each block is checked as it arrives against the one
// before it (number, previous hash) and against its own data (data hash), so
// the blocks received form one hash-chained run from the local tip; a batch of
// them is then vouched for by the orderer signature of its LAST block alone
// (that signature covers the header, the header the previous hash, and so on
// back to the local tip). Only then are the batch's blocks handed to the
// ledger, in order, after every batch before it. A config block always closes
// its batch, so its own signature is verified (with the verifier in force
// before it) and no block after it is vouched for by a signature checked
// before it. The blocks after a config block are verified with the
// organizations that config installs (PulledBlockVerifier.installedBy: an
// orderer organization added there may sign them, one removed there may not);
// a config block that holds no readable config or no orderer organization is
// refused before it joins a batch.
//
// Where a batch closes:
// - after PULL_BATCH_BLOCKS_MAX blocks or PULL_BATCH_BYTES_MAX bytes (one
//   signature check per 64 blocks; the bytes bound the memory held unverified);
// - at a config block;
// - at the last block asked for (the end of the pull is never held back);
// - when the stream hands over no block for PULL_BATCH_PAUSE_MS (a stalled or
//   slow source: what was received is verified and appended meanwhile);
// - when the stream ends or fails (close() by the puller): the blocks received
//   before the failure are a chained run too, vouched for by their last block.
// A batch whose closing signature fails is never appended, nor any batch
// after it; the puller is told at once (it ends the stream) and a block the
// stream still hands over is refused with that error.

import type { Block } from '../block/index.js';
import { isConfigBlock, readConsenterMetadata } from '../block/index.js';
import type { ChainClock, TimerHandle } from '../clock.js';
import { ledgerBlockOfDecoded, type BlockLedger, type LedgerBlock } from '../storage/index.js';
import { BlockPullError, type ChainTip, type PulledBlockVerifier } from './pulledBlockVerifier.js';

/** Blocks in one batch, at most: one signature check covers this many. */
export const PULL_BATCH_BLOCKS_MAX = 64;
/** Bytes of blocks in one batch, at most (a batch closes at the block that reaches it). */
export const PULL_BATCH_BYTES_MAX = 16 * 1024 * 1024;
/** The open batch closes when the stream hands over no block for this long. */
export const PULL_BATCH_PAUSE_MS = 20;
/**
 * Blocks of closed batches verifying or awaiting durability, at most, before the
 * stream is paused. Appends in flight share syncs (awaiting each block's sync
 * made a rejoin as slow as the disk's sync rate: ~40 blocks/s on a loaded
 * machine), and one sync carries at most what is in flight when it starts: a
 * pull runs at this many blocks per sync at most. Two batches (128 blocks) held
 * a pull of small blocks to ~150 blocks/s on a shared disk whose syncs took
 * 0.5–0.9 s; sixteen let a sync carry 1,024. The memory held stays bounded by
 * APPENDS_IN_FLIGHT_BYTES_MAX.
 */
export const APPENDS_IN_FLIGHT_MAX = 16 * PULL_BATCH_BLOCKS_MAX;
/** Bytes of closed batches verifying or awaiting durability, at most, before the stream is paused (two full batches). */
export const APPENDS_IN_FLIGHT_BYTES_MAX = 2 * PULL_BATCH_BYTES_MAX;

export interface PulledBatchesOptions {
  /** The verifier in force at `tip` (the config of the local chain's last config block). */
  readonly verifier: PulledBlockVerifier;
  readonly ledger: BlockLedger;
  /** The source's name, for errors. */
  readonly source: string;
  /** The local end of the chain the first block must extend. */
  readonly tip: ChainTip;
  /** The last block asked for: it closes its batch. */
  readonly lastNumber: number;
  readonly clock: ChainClock;
  /** Called once per block appended and durable. */
  readonly onAppended: (number: number) => void;
  /** Called once when a batch's closing signature fails (the stream is worth no more waiting: e.g. a source that stalled after it). */
  readonly onFailed: () => void;
}

/** A block checked against the chain, not yet vouched for by a signature. */
interface ChainedBlock {
  readonly block: Block;
  readonly entry: LedgerBlock;
}

/** A closed batch: durable once its signature verified and its blocks were appended. */
interface ClosedBatch {
  readonly durable: Promise<void>;
  readonly blocks: number;
  readonly bytes: number;
}

export class PulledBatches {
  readonly #opts: PulledBatchesOptions;
  #tip: ChainTip;
  /** The verifier in force after the last block received: replaced at each config block. */
  #verifier: PulledBlockVerifier;
  #open: ChainedBlock[] = [];
  #openBytes = 0;
  #pause: TimerHandle | undefined;
  /** Settles once the latest closed batch was handed to the ledger (rejects if it never will be). */
  #handedOver: Promise<void> = Promise.resolve();
  readonly #closed: ClosedBatch[] = [];
  #closedBlocks = 0;
  #closedBytes = 0;
  /** The first failed batch's error: no later block is taken. */
  #failure: unknown;

  constructor(options: PulledBatchesOptions) {
    this.#opts = options;
    this.#tip = options.tip;
    this.#verifier = options.verifier;
  }

  /** The last block received (checked against the chain, maybe not yet appended). */
  get tip(): ChainTip {
    return this.#tip;
  }

  /**
   * Checks the next block against the chain and adds it to the open batch,
   * closing the batch where it should; resolves when the next block may be read
   * (the closed batches' blocks are below APPENDS_IN_FLIGHT_MAX). Throws
   * BlockPullError for a block that does not chain, or once a batch failed.
   */
  async add(bytes: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    this.#pause?.cancel();
    this.#pause = undefined;
    const { source } = this.#opts;
    const verifier = this.#verifier;
    // Decoded and header-hashed once: the verified block, its tip and its ledger entry share them.
    const block = verifier.verifyChained(bytes, this.#tip, source);
    const { number } = block.header;
    // The raft index alone: building the signed data (the header marshaled again) was a quarter of this method's time.
    const raftIndex = readConsenterMetadata(block).etcdraft?.raftIndex;
    if (raftIndex === undefined) throw new BlockPullError(`block ${number} from ${source} carries no etcdraft metadata (raft index)`);
    // Read before the block joins a batch: a config block carrying no usable config is never appended.
    const installed = isConfigBlock(block) ? verifier.installedBy(block, source) : undefined;
    const next = verifier.tipOf(block.header);
    this.#open.push({ block, entry: ledgerBlockOfDecoded(block, bytes, next.headerHash, raftIndex) });
    this.#openBytes += bytes.length;
    this.#tip = next;
    const full = this.#open.length >= PULL_BATCH_BLOCKS_MAX || this.#openBytes >= PULL_BATCH_BYTES_MAX;
    if (full || number >= this.#opts.lastNumber || installed !== undefined) this.close();
    // The config block's batch was closed under the config before it; the blocks after it answer to the one it installs.
    if (installed !== undefined) this.#verifier = installed;
    while (this.#closedBlocks >= APPENDS_IN_FLIGHT_MAX || this.#closedBytes >= APPENDS_IN_FLIGHT_BYTES_MAX) await this.#settleOldest();
    // Armed only now, when the next block is the source's to send (not while this waits on the ledger).
    if (this.#open.length > 0) this.#pause = this.#opts.clock.after(PULL_BATCH_PAUSE_MS, () => this.close());
  }

  /**
   * Closes the open batch (nothing when it is empty or a batch failed): its
   * last block's signature is verified, then its blocks are handed to the ledger
   * in order, after the batches closed before it.
   */
  close(): void {
    this.#pause?.cancel();
    this.#pause = undefined;
    if (this.#open.length === 0 || this.#failure !== undefined) return;
    const batch = this.#open;
    const bytes = this.#openBytes;
    this.#open = [];
    this.#openBytes = 0;
    const { ledger, source, onAppended } = this.#opts;
    const verifier = this.#verifier;
    const closing = batch[batch.length - 1]!.block;
    const first = batch[0]!.block.header.number;
    const signed = verifier.verifySignature(closing, source).catch((err: unknown) => {
      const failure =
        err instanceof BlockPullError && first < closing.header.number
          ? new BlockPullError(`${err.message}; blocks ${first}..${closing.header.number}, which its signature vouches for, are not appended`, {
              cause: err,
            })
          : err;
      if (this.#failure === undefined) {
        this.#failure = failure;
        this.#opts.onFailed();
      }
      throw failure;
    });
    // Wrapped in an object so that the hand-over settles when the appends are called, not when they are durable.
    // The ledger checks number and previous hash against its pending end before its first await.
    const handOver = Promise.all([this.#handedOver, signed]).then(() => ({
      durable: settledAll(batch.map(({ block, entry }) => ledger.append(entry).then(() => onAppended(block.header.number)))),
    }));
    this.#handedOver = handOver.then(() => undefined);
    this.#handedOver.catch(() => undefined); // the next batch's hand-over, or drain, sees it
    const durable = handOver.then((h) => h.durable);
    durable.catch(() => undefined); // awaited in order by add or drain
    this.#closed.push({ durable, blocks: batch.length, bytes });
    this.#closedBlocks += batch.length;
    this.#closedBytes += bytes;
  }

  /**
   * Waits for every closed batch (the open one is dropped: close it first to
   * keep it); resolves when all are durable, rejects with the first failure, in
   * either case only once none is still being appended, so the ledger's end is
   * where the next source starts.
   */
  async drain(): Promise<void> {
    this.#pause?.cancel();
    this.#pause = undefined;
    this.#open = [];
    try {
      while (this.#closed.length > 0) await this.#settleOldest();
    } finally {
      await Promise.allSettled(this.#closed.map((b) => b.durable));
    }
  }

  async #settleOldest(): Promise<void> {
    const oldest = this.#closed.shift()!;
    this.#closedBlocks -= oldest.blocks;
    this.#closedBytes -= oldest.bytes;
    await oldest.durable;
  }
}

/** Resolves once every promise settled; rejects with the first rejection then (no append is still running when it does). */
async function settledAll(promises: readonly Promise<void>[]): Promise<void> {
  for (const result of await Promise.allSettled(promises)) if (result.status === 'rejected') throw result.reason;
}
