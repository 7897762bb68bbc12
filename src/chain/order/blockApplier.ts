// Applies committed block entries to the ledger, as Fabric's etcdraft
// writeBlock: each node writes the committed block with its own signature and
// the etcdraft metadata (consenters, raft index) of the entry it came from.
// Blocks from entries already in the ledger (replay after a restart) are not
// written twice, and a block's bulk, already on disk in its Raft entry, is not
// written again (entryBody.ts). Every snapshotIntervalSizeBytes of blocks, a Raft snapshot
// whose data is the last block is taken and the log compacted.

import type { Logger } from 'pino';
import {
  canonicalBytesBeforeMetadata,
  decodeBlock,
  decodeBlockEntry,
  encodeBlock,
  encodeBlockMetadataField,
  headerHash,
  isConfigBlock,
  readTxIds,
  type Block,
  type DecodedBlockEntry,
  type HeaderFields,
} from '../../block/index.js';
import type { Hasher } from '../../crypto/index.js';
import type { ConfState, Entry } from '../../raft/index.js';
import { ledgerBlockOfPieces, type BlockLedger, type DurableRaftStorage, type LedgerBlock } from '../../storage/index.js';
import type { BlockToSign, ChainCompute, SignedMetadata } from '../compute/compute.js';
import type { ChainMetrics } from '../metrics.js';
import type { SnapshotCatchUp } from '../../catchup/index.js';
import { sharedEntryBody } from './entryBody.js';

/** Blocks being signed in the pool at once, at most (the pool queues ~64 tasks per thread): two batches, one per pool thread of a 2-core node. */
export const SIGNING_IN_FLIGHT_MAX = 32;
/**
 * Blocks applied and not yet appended to the ledger, at most, when the compute can sign on the
 * calling thread (ChainCompute.signBlocksHere): past SIGNING_IN_FLIGHT_MAX in the pool, blocks are
 * signed here rather than waiting for the pool, up to this many in all; then the Ready loop waits.
 */
export const UNWRITTEN_MAX = 256;
/**
 * Blocks signed in one compute call (one pool task), at most. The blocks a Ready
 * applies are signed together: one task per block cost a catching-up follower
 * more main-thread time (posting tasks, waking workers, settling results) than the signatures.
 */
export const SIGNING_BATCH_MAX = 16;

/** The etcdraft consenter ids written into a block's metadata (Fabric's BlockMetadata). */
export interface ConsenterMetadata {
  readonly consenterIds: readonly number[];
  readonly nextConsenterId: number;
}

/**
 * Config blocks as they commit (every node, in commit order, before the
 * block is signed): the chain applies the new config and says which
 * consenter ids the block (and later ones) carry.
 */
export interface ConfigBlockHook {
  /** Called for each committed block to write; returns its consenter metadata (the ids after the change for a config block). */
  metadataFor(block: Block, isConfig: boolean): ConsenterMetadata;
  /**
   * Catch-up wrote pulled blocks up to the ledger's end: config blocks among
   * them were never applied here (a node removed by one of them gets no more
   * entries that would make it read them).
   */
  afterCatchUp?(): void;
}

export interface BlockApplierDeps {
  readonly channelId: string;
  readonly ledger: BlockLedger;
  readonly raftStorage: DurableRaftStorage;
  readonly hasher: Hasher;
  /** Signs blocks' metadata (in the pool). */
  readonly compute: ChainCompute;
  readonly consenterIds: readonly number[];
  readonly snapshotIntervalSizeBytes: number;
  readonly logger: Logger;
  readonly metrics: ChainMetrics;
  /** The current membership, for snapshots. */
  readonly confState: () => ConfState;
  /** A failure that makes the channel untrustworthy (halts it). */
  readonly fail: (err: unknown) => void;
  readonly catchUp: SnapshotCatchUp | undefined;
  /** Config-aware metadata; without it every block carries `consenterIds` (a channel without a readable config). */
  readonly configHook?: ConfigBlockHook;
  /**
   * A committed block's tx ids, as it is applied (before it is signed and durable here). Returns their
   * txIdHash values when it computed them (a node that checks duplicates): the ledger's index takes them.
   */
  readonly onTxIds?: (blockNumber: number, txIds: readonly string[]) => Int32Array | undefined;
  /**
   * Resolves once Raft counts the entries up to `index` as applied (the Ready
   * loop advanced past them): a snapshot compacts the log, and Raft must never
   * find its unapplied entries compacted. Absent: at once (tests without Raft).
   */
  readonly whenRaftApplied?: (index: number) => Promise<void>;
}

export class BlockApplier {
  /** Number of the next block to append. Invariant: ledger's pending height (durable height + appends in flight). */
  #nextNumber: number;
  /** Header of the last block appended (the next block's previousHash must be its hash). */
  #lastHeader: HeaderFields;
  /** Bytes of blocks committed since the last snapshot (Fabric: accDataSize). */
  #bytesSinceSnapshot = 0;
  /** Set while the ledger lacks blocks below a received snapshot: committed blocks above it cannot be written yet. */
  #missingBelow: number | undefined;
  /** The last committed block not written because of the gap (catch-up pulls up to it too). */
  #lastSkipped: Block | undefined;
  /** The gap above is logged once, not per block. */
  #gapReported = false;
  /** Last config block number as of the last block handed to signing (Fabric's LAST_CONFIG). */
  #lastConfig: number;
  /**
   * Signing runs in the pool, so writes are chained: each block is appended
   * to the ledger after the previous one, in commit order. Never rejects
   * (a failure halts the channel through deps.fail).
   */
  #writes: Promise<void> = Promise.resolve();
  /** Blocks handed to the pool's signing, not yet appended. Invariant: <= SIGNING_IN_FLIGHT_MAX (the Ready loop awaits room()). */
  #signing = 0;
  /** Blocks handed to writing (signed in the pool or here), not yet appended. Invariant: <= UNWRITTEN_MAX. */
  #unwritten = 0;
  #roomWaiters: (() => void)[] = [];
  /**
   * Blocks handed to signing whose batch is not sent yet (counted in #signing). Sent when it holds
   * SIGNING_BATCH_MAX blocks, when the Ready loop waits for room, and otherwise once the entries
   * applied in one go (a Ready's, between waits) are all in: a microtask after the first.
   */
  #toSign: { readonly block: BlockToSign; readonly resolve: (signed: SignedMetadata) => void; readonly reject: (err: unknown) => void }[] = [];
  /** deps.snapshotIntervalSizeBytes until a config block changes it. */
  #snapshotIntervalSizeBytes: number;

  constructor(private readonly deps: BlockApplierDeps) {
    const { ledger } = deps;
    this.#lastConfig = Math.max(ledger.lastConfig, 0);
    this.#snapshotIntervalSizeBytes = deps.snapshotIntervalSizeBytes;
    this.#nextNumber = ledger.height;
    this.#lastHeader = decodeBlock(ledger.block(ledger.height - 1).bytes).header;
    deps.metrics.committedBlockNumber.set(ledger.height - 1);
  }

  /** Header of the last block of the committed log applied here: where a new leader continues. */
  get lastHeader(): HeaderFields {
    return this.#lastHeader;
  }

  /** A config block changed SnapshotIntervalSize: applies from the next block on. */
  setSnapshotInterval(bytes: number): void {
    if (!(Number.isSafeInteger(bytes) && bytes > 0)) throw new RangeError(`snapshot interval must be a positive integer, got ${bytes}`);
    this.#snapshotIntervalSizeBytes = bytes;
  }

  /**
   * Takes a snapshot at raft index `index` (applied, at or after the entry of
   * the last block handed to writing) once that block is durable; its data is
   * that block. After a node is added (Fabric does the same): a snapshot
   * taken before lists old voters only, and the new node would refuse it.
   */
  snapshotNow(index: number): void {
    if (this.#missingBelow !== undefined) return; // no last block here to put in it; the next interval snapshot will do
    const number = this.#nextNumber - 1;
    this.#bytesSinceSnapshot = 0;
    this.#writes = this.#writes
      .then(async () => {
        await this.deps.ledger.waitForBlock(number);
        this.#snapshot(index, number, this.deps.ledger.block(number).bytes);
      })
      .catch(this.deps.fail);
  }

  /** True while blocks below a received snapshot are missing (this node cannot lead usefully). */
  get hasGap(): boolean {
    return this.#missingBelow !== undefined;
  }

  /** Applies one committed normal entry holding a block; returns the block's header (undefined for an empty entry). */
  applyEntry(entry: Entry): HeaderFields | undefined {
    if (entry.data.length === 0) return undefined; // a new leader's empty entry
    const carried = decodeBlockEntry(entry.data);
    const block = decodeBlock(carried.block);
    const number = block.header.number;
    if (entry.index <= this.deps.ledger.lastRaftIndex) {
      this.#checkReplay(block, carried.block, entry);
      return block.header;
    }
    if (this.#missingBelow !== undefined) {
      this.#lastSkipped = block;
      if (!this.#gapReported) {
        this.#gapReported = true;
        this.deps.logger.warn(
          { block: number, missingBelow: this.#missingBelow },
          `committed blocks from ${number} on are not written: blocks below ${this.#missingBelow} are missing (catch-up pending)`,
        );
      }
      return block.header;
    }
    this.#write(block, carried, entry);
    return block.header;
  }

  /**
   * Raft installed a snapshot from the leader: its data is the leader's last
   * block at the snapshot point. Blocks this ledger lacks up to it must be
   * pulled from another orderer (catch-up); until then nothing above is written.
   */
  onSnapshotInstalled(data: Uint8Array, snapshotIndex: number): HeaderFields {
    const block = decodeBlock(data);
    const number = block.header.number;
    if (number < this.#nextNumber) {
      this.deps.logger.info({ snapshotIndex, block: number }, `snapshot at block ${number} received; the ledger already has it`);
      return block.header;
    }
    this.#missingBelow = number + 1;
    this.#gapReported = false;
    if (this.deps.catchUp === undefined) {
      this.deps.logger.error(
        { snapshotIndex, block: number, height: this.#nextNumber },
        `snapshot at block ${number} received but the ledger ends at block ${this.#nextNumber - 1}: this chain has no catch-up to pull blocks ${this.#nextNumber}..${number} from other orderers; this node keeps voting but writes no blocks`,
      );
      return block.header;
    }
    this.#pull(this.deps.catchUp, block);
    return block.header;
  }

  /** Pulls up to `target`, then on to the last block committed (and skipped) meanwhile. */
  #pull(catchUp: SnapshotCatchUp, target: Block): void {
    const number = target.header.number;
    catchUp.pullBlocks(this.#nextNumber, target).then(
      () => {
        if (this.deps.ledger.height !== number + 1) {
          this.deps.logger.error(
            { block: number, height: this.deps.ledger.height },
            `catch-up to block ${number} resolved but the ledger height is ${this.deps.ledger.height}`,
          );
          return;
        }
        this.#nextNumber = number + 1;
        this.#lastHeader = target.header;
        // Pulled blocks count as committed here, and a pulled config block is the LAST_CONFIG of the blocks written next.
        this.deps.metrics.committedBlockNumber.set(number);
        this.#lastConfig = Math.max(this.#lastConfig, this.deps.ledger.lastConfig);
        const skipped = this.#lastSkipped;
        this.#lastSkipped = undefined;
        if (skipped !== undefined && skipped.header.number > number) {
          this.#missingBelow = skipped.header.number + 1;
          this.#pull(catchUp, skipped);
          return;
        }
        this.#missingBelow = undefined;
        this.deps.logger.info({ block: number }, `caught up to block ${number}`);
        try {
          this.deps.configHook?.afterCatchUp?.();
        } catch (err) {
          // Not the pull's failure (the blocks are written): an unreadable config halts the chain, as in apply.
          this.deps.fail(err);
        }
      },
      (err: unknown) => this.deps.logger.error({ err }, `catch-up to block ${number} failed; this node writes no blocks until it succeeds`),
    );
  }

  /** A block from an entry the ledger already applied (restart replay): must be the stored one; nothing written. */
  #checkReplay(block: Block, blockBytes: Uint8Array, entry: Entry): void {
    const replay: LedgerBlock = {
      number: block.header.number,
      headerHash: headerHash(this.deps.hasher, block.header),
      previousHash: block.header.previousHash,
      raftIndex: entry.index,
      isConfig: false,
      txIds: [],
      bytes: blockBytes,
    };
    // The ledger compares the header hash with the stored block and throws LedgerAppendError on a mismatch.
    this.deps.ledger.append(replay).then((outcome) => {
      if (outcome !== 'duplicate') this.deps.fail(new Error(`replayed entry ${entry.index} appended block ${replay.number} again`));
    }, this.deps.fail);
  }

  /** Resolves when every block handed to the ledger so far is appended (not necessarily durable). */
  whenWritten(): Promise<void> {
    return this.#writes;
  }

  /** `carried`: the entry's block bytes and the tx ids the leader put beside them (older entries: none, read from the block). */
  #write(block: Block, carried: DecodedBlockEntry, entry: Entry): void {
    const { deps } = this;
    const number = block.header.number;
    const isConfig = isConfigBlock(block);
    const lastConfig = this.#lastConfig;
    if (isConfig) this.#lastConfig = number;
    const base = {
      number,
      headerHash: headerHash(deps.hasher, block.header),
      previousHash: block.header.previousHash,
      raftIndex: entry.index,
      isConfig,
      txIds: carried.txIds ?? readTxIds(block.data, 'BAD_BLOCK'),
    };
    if (base.txIds.length !== block.data.length) {
      throw new Error(`entry ${entry.index} carries ${base.txIds.length} tx ids for the ${block.data.length} envelopes of block ${number}`);
    }
    const txIdHashes = deps.onTxIds?.(number, base.txIds);
    const ids = deps.consenterIds;
    const consenters = deps.configHook?.metadataFor(block, isConfig) ?? { consenterIds: ids, nextConsenterId: Math.max(...ids) + 1 };
    const metadata = { consenterIds: consenters.consenterIds, nextConsenterId: consenters.nextConsenterId, raftIndex: entry.index };
    const toSign: BlockToSign = { block, lastConfigBlockNumber: lastConfig, consenterMetadata: metadata };
    // The pool holds what it should: the calling thread, which would otherwise wait for room, signs this one.
    const inPool = this.#signing < SIGNING_IN_FLIGHT_MAX || deps.compute.signBlocksHere === undefined;
    const signing = inPool ? this.#queueSigning(toSign) : this.#signHere(toSign);
    // Handled where it is awaited below (in commit order); this only keeps an
    // early rejection from counting as unhandled while earlier blocks are written.
    signing.catch(() => undefined);
    if (inPool) this.#signing++;
    this.#unwritten++;
    this.#nextNumber = number + 1;
    this.#lastHeader = block.header;
    this.#bytesSinceSnapshot += carried.block.length;
    const snapshotDue = this.#bytesSinceSnapshot >= this.#snapshotIntervalSizeBytes;
    if (snapshotDue) this.#bytesSinceSnapshot = 0;
    // The signed block is the entry's block up to its metadata, then this
    // node's metadata: those bytes are reused as they are (no re-marshaling,
    // no copy of the block) when they are what encodeBlock writes for it.
    const head = canonicalBytesBeforeMetadata(carried.block, block);
    this.#writes = this.#writes
      .then(async () => {
        let metadata: readonly Uint8Array[];
        try {
          ({ metadata } = await signing);
        } finally {
          this.#signed(inPool);
        }
        let written: LedgerBlock;
        if (head !== undefined) {
          const entryBody = sharedEntryBody(entry.data, carried.block, head);
          written = ledgerBlockOfPieces({ ...base, txIdHashes, entryBody }, { head, tail: encodeBlockMetadataField(metadata) });
        } else {
          const bytes = encodeBlock({ header: block.header, data: block.data, metadata });
          written = { ...base, txIdHashes, bytes, entryBody: sharedEntryBody(entry.data, carried.block, bytes) };
        }
        // The ledger checks number and previousHash synchronously against its
        // pending end and queues the write: the next block need not wait for this sync.
        deps.ledger.append(written).then(() => deps.metrics.committedBlockNumber.set(number), deps.fail);
        if (snapshotDue) this.#snapshot(entry.index, number, written.bytes);
      })
      .catch(deps.fail);
  }

  /**
   * Undefined while fewer than SIGNING_IN_FLIGHT_MAX blocks are being signed in
   * the pool or, when the compute signs on the calling thread too (blocks past
   * the pool's share are signed here), while fewer than UNWRITTEN_MAX blocks
   * wait to be appended; otherwise a promise of room
   * for a whole batch (the blocks waiting for their batch are sent first). The
   * Ready loop awaits it before each block, so a burst of committed blocks (a
   * follower catching up) never floods the pool nor holds unbounded blocks.
   */
  room(): Promise<void> | undefined {
    const hasRoom = this.deps.compute.signBlocksHere === undefined ? this.#signing < SIGNING_IN_FLIGHT_MAX : this.#unwritten < UNWRITTEN_MAX;
    if (hasRoom) return undefined;
    this.#sendSigningBatch();
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
  }

  /** signBlocksHere of one block, as a settled promise (the write chain awaits every block's signing alike). */
  #signHere(block: BlockToSign): Promise<SignedMetadata> {
    try {
      const [signed] = this.deps.compute.signBlocksHere!([block]);
      return signed === undefined ? Promise.reject(new Error('signing 1 block here returned no result')) : Promise.resolve(signed);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #queueSigning(block: BlockToSign): Promise<SignedMetadata> {
    return new Promise<SignedMetadata>((resolve, reject) => {
      this.#toSign.push({ block, resolve, reject });
      if (this.#toSign.length >= SIGNING_BATCH_MAX) this.#sendSigningBatch();
      else if (this.#toSign.length === 1) queueMicrotask(() => this.#sendSigningBatch());
    });
  }

  /** One compute call for the blocks waiting to be signed; each block's promise settles with its own result. */
  #sendSigningBatch(): void {
    const batch = this.#toSign;
    if (batch.length === 0) return;
    this.#toSign = [];
    let signing: Promise<readonly SignedMetadata[]>;
    try {
      signing = this.deps.compute.signBlocks(batch.map((item) => item.block));
    } catch (err) {
      signing = Promise.reject(err);
    }
    signing.then(
      (signed) => {
        batch.forEach((item, i) => {
          const result = signed[i];
          if (result === undefined || signed.length !== batch.length)
            item.reject(new Error(`signing ${batch.length} blocks returned ${signed.length} results`));
          else item.resolve(result);
        });
      },
      (err: unknown) => {
        for (const item of batch) item.reject(err);
      },
    );
  }

  /**
   * Room is given back a batch at a time: freed one block at a time, the Ready loop would send
   * batches of one. A waiter woken here finds room (room() checks the same bound).
   */
  #signed(inPool: boolean): void {
    this.#unwritten--;
    if (inPool) this.#signing--;
    const freed =
      this.deps.compute.signBlocksHere === undefined
        ? this.#signing <= SIGNING_IN_FLIGHT_MAX - SIGNING_BATCH_MAX
        : this.#unwritten <= UNWRITTEN_MAX - SIGNING_BATCH_MAX;
    if (!freed) return;
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }

  #snapshot(index: number, number: number, lastBlock: Uint8Array): void {
    const { deps } = this;
    // A block is durable (and its snapshot due) while the Ready that carried it may still be
    // applying later entries (waiting for signing room): compacting then left Raft's unapplied
    // entries missing, and a campaign in that window asserted ("unapplied entries were
    // compacted"). Not awaited in the write chain: later blocks' signing must not wait for it.
    const applied = deps.whenRaftApplied?.(index) ?? Promise.resolve();
    applied
      .then(() => {
        // A snapshot received meanwhile may be at or past `index` (a wiped node's first snapshot brings new voters, and
        // that voter change asks for a snapshot at what was applied before it): it is already the newer one.
        const current = deps.raftStorage.snapshot().metadata.index;
        if (index <= current) {
          deps.logger.info({ index, block: number, snapshotIndex: current }, `no snapshot at raft index ${index}: the snapshot at ${current} is newer`);
          return;
        }
        deps.logger.info({ index, block: number }, `taking snapshot at raft index ${index} (block ${number})`);
        return deps.raftStorage.takeSnapshot(index, deps.confState(), lastBlock);
      })
      .then(() => deps.metrics.snapshotBlockNumber.set(number), deps.fail);
  }
}
