// The block puller (Fabric's cluster.BlockPuller, etcdraft catchUp): a
// follower whose Raft log was replaced by a snapshot beyond its ledger, or a
// node whose data directory was wiped, fetches the blocks it lacks over Deliver
// from the other orderers of the channel. Blocks are verified before they are
// appended, per batch as Fabric's VerifyBlocks (pulledBatches.ts): each block's
// hash chain from the local tip and data hash, and the orderer signature of the
// batch's last block and of every config block; a source that fails or lies is
// left for the next one; whole rounds over all sources are retried with a
// bounded, doubling back-off. The organizations that may sign are those of
// the config in force: the verifier given (the organizations the chain starts
// with) until the ledger holds a config block after block 0; from then on the
// one the ledger's last config block installs (PulledBlockVerifier.installedBy),
// for every later pull, source and block read on its own, whether that block
// was pulled, committed by the chain, or in the ledger before a restart. The
// orderers pulled from follow the same config block (`sourcesOf`), as Fabric
// builds its puller from the channel's current config at each catch-up.

import type { Logger } from 'pino';
import { decodeBlock, type Block } from '../block/index.js';
import type { Hasher } from '../crypto/index.js';
import { OrdererError } from '../errors.js';
import type { BlockLedger } from '../storage/index.js';
import type { SnapshotCatchUp } from './snapshotCatchUp.js';
import { systemClock, type ChainClock } from '../clock.js';
import type { CatchUpMetrics } from './catchUpMetrics.js';
import { PulledBatches } from './pulledBatches.js';
import { BlockPullError, equalBytes, type ChainTip, type PulledBlockVerifier } from './pulledBlockVerifier.js';

/** One orderer blocks can be pulled from. */
export interface BlockSource {
  /** For logs and errors, e.g. "orderer 2 (10.0.0.2:7050)". */
  readonly name: string;
  /**
   * Streams blocks [fromNumber, toNumber] of `channelId` in order to `onBlock`
   * (awaited before the next is read); resolves after `toNumber` was handed
   * over; rejects (OrdererError) if the orderer cannot serve the range or the
   * stream fails; rejects soon after `signal` aborts. An `onBlock` rejection
   * ends the stream and rejects with it.
   */
  deliver(channelId: string, fromNumber: number, toNumber: number, onBlock: (bytes: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void>;
  /** Marshaled newest block of the channel on that orderer. */
  newest(channelId: string, signal: AbortSignal): Promise<Uint8Array>;
  /** Releases the connection, if any. */
  close?(): void;
}

export interface BlockPullerOptions {
  readonly channelId: string;
  /** The other orderers of the channel, tried in turn (the order is rotated per round). */
  readonly sources: readonly BlockSource[];
  /**
   * The orderers a config block names, for a ledger whose last config block is
   * later than the config the puller started with: they replace `sources` from
   * the next pull on. Undefined (none named, or no such option): the sources stay.
   */
  readonly sourcesOf?: (configBlock: Uint8Array) => readonly BlockSource[] | undefined;
  /** The verifier of the organizations the chain starts with: in force until the ledger holds a config block after block 0. */
  readonly verifier: PulledBlockVerifier;
  readonly ledger: BlockLedger;
  readonly hasher: Hasher;
  readonly logger: Logger;
  /**
   * Rounds over every source before a pull gives up. Default: no limit — until
   * it succeeds or the puller closes (nothing else would restart a follower's
   * catch-up; Fabric's etcdraft halts instead). Back-off between rounds is capped.
   */
  readonly roundsMax?: number;
  /** Back-off after the first failed round, doubled per round up to backoffMaxMs. Default 500. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly clock?: ChainClock;
  /** Called once per block appended. */
  readonly onBlockPulled?: (number: number) => void;
  readonly metrics?: CatchUpMetrics;
}

export const PULL_ROUNDS_MAX_DEFAULT = Number.POSITIVE_INFINITY;

export class BlockPuller implements SnapshotCatchUp {
  readonly #opts: BlockPullerOptions;
  readonly #clock: ChainClock;
  readonly #closing = new AbortController();
  /** Rotates so that a source that failed last is not always asked first. */
  #firstSource = 0;
  /** The ledger's config block the verifier and the sources follow (0: the ones given). */
  #configInForce = 0;
  #verifier: PulledBlockVerifier;
  #sources: readonly BlockSource[];
  /** Sources replaced by a later config's: a pull may still read from one; closed with the puller. */
  readonly #retired: BlockSource[] = [];

  constructor(options: BlockPullerOptions) {
    if (options.sources.length === 0)
      throw new BlockPullError(`channel "${options.channelId}": the block puller needs at least one other orderer to pull from`);
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#verifier = options.verifier;
    this.#sources = options.sources;
  }

  /**
   * Follows the ledger's last config block when it is later than the config
   * in force: the verifier becomes the one it installs and the sources the
   * orderers it names (`sourcesOf`). A config block of this node's own ledger
   * that yields no verifier (it was verified when it was appended, so this is
   * not expected), or that names no orderer, leaves that part as it was, logged.
   * A loop over the sources keeps the list it started with: replaced sources
   * are closed only with the puller.
   */
  #followConfig(): void {
    const { ledger, logger, sourcesOf } = this.#opts;
    const lastConfig = ledger.lastConfig;
    if (lastConfig <= this.#configInForce) return;
    this.#configInForce = lastConfig;
    const bytes = ledger.block(lastConfig).bytes;
    try {
      this.#verifier = this.#verifier.installedBy(decodeBlock(bytes), 'the local ledger');
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      logger.warn({ block: lastConfig, err: err.message }, `pulled blocks are still verified with the organizations known before block ${lastConfig}`);
    }
    if (sourcesOf === undefined) return;
    const named = sourcesOf(bytes);
    if (named === undefined || named.length === 0) {
      logger.warn({ block: lastConfig }, `config block ${lastConfig} names no other orderer to pull from: the orderers known before it are kept`);
      return;
    }
    this.#retired.push(...this.#sources);
    this.#sources = named;
    logger.info({ block: lastConfig, sources: named.map((s) => s.name) }, `pulling from the orderers config block ${lastConfig} names`);
  }

  /** The verifier of the config in force at the ledger's end. */
  #currentVerifier(): PulledBlockVerifier {
    this.#followConfig();
    return this.#verifier;
  }

  /** The orderers the config in force at the ledger's end names. */
  #currentSources(): readonly BlockSource[] {
    this.#followConfig();
    return this.#sources;
  }

  /**
   * Appends blocks [fromNumber, target] to the ledger, verified; resolves when
   * the ledger ends at `target` (its header hash must match). Rejects with
   * BlockPullError after roundsMax failed rounds or when closed.
   */
  async pullBlocks(fromNumber: number, target: Block): Promise<void> {
    const { ledger, logger } = this.#opts;
    const toNumber = target.header.number;
    if (ledger.height !== fromNumber) throw new BlockPullError(`pull from block ${fromNumber} asked but the ledger's height is ${ledger.height}`);
    logger.info({ from: fromNumber, to: toNumber }, `pulling blocks ${fromNumber}..${toNumber} from other orderers`);
    await this.#pullRange(toNumber);
    const tip = this.#tip();
    const wanted = this.#currentVerifier().tipOf(target.header);
    if (!equalBytes(tip.headerHash, wanted.headerHash)) {
      throw new BlockPullError(`pulled block ${toNumber} is not the block the Raft snapshot names (header hashes differ)`);
    }
    logger.info({ to: toNumber }, `pulled blocks up to ${toNumber}`);
  }

  /**
   * Asks every source for its newest block, all at once (a source that is
   * slow to answer, or down until its connect times out, delays no other),
   * and returns the highest one that is signed by an orderer of the channel.
   */
  async newestBlock(): Promise<Block | undefined> {
    const answers = await Promise.all(
      this.#currentSources().map(async (source): Promise<Block | undefined> => {
        try {
          return this.#currentVerifier().verifyStandalone(await source.newest(this.#opts.channelId, this.#closing.signal), source.name, this.#genesis());
        } catch (err) {
          if (!(err instanceof OrdererError)) throw err;
          this.#opts.logger.warn({ source: source.name, err: err.message }, `newest block from ${source.name} unavailable`);
          return undefined;
        }
      }),
    );
    let best: Block | undefined;
    for (const block of answers) if (block !== undefined && (best === undefined || block.header.number > best.header.number)) best = block;
    return best;
  }

  /**
   * Block `number` from the first source that serves it, verified on its own
   * (data hash, orderer signature: no local tip to chain it to); undefined when
   * none did. Eviction suspicion reads the latest config block with it.
   */
  async blockAt(number: number): Promise<Block | undefined> {
    for (const source of this.#currentSources()) {
      let block: Block | undefined;
      try {
        await source.deliver(
          this.#opts.channelId,
          number,
          number,
          async (bytes) => {
            block = this.#currentVerifier().verifyStandalone(bytes, source.name, this.#genesis());
          },
          this.#closing.signal,
        );
      } catch (err) {
        if (!(err instanceof OrdererError)) throw err;
        this.#opts.logger.warn({ source: source.name, block: number, err: err.message }, `block ${number} from ${source.name} unavailable`);
        continue;
      }
      if (block !== undefined) return block;
    }
    return undefined;
  }

  /** Aborts pulls in progress (they reject) and closes the sources' connections. */
  close(): void {
    this.#closing.abort();
    for (const source of [...this.#retired, ...this.#sources]) source.close?.();
  }

  /** This node's block 0, against which a block 0 read on its own is checked (it carries no orderer signature); undefined on an empty ledger. */
  #genesis(): ChainTip | undefined {
    const { ledger } = this.#opts;
    return ledger.height === 0 ? undefined : this.#currentVerifier().tipOf(decodeBlock(ledger.block(0).bytes).header);
  }

  #tip(): ChainTip {
    const { ledger } = this.#opts;
    return this.#currentVerifier().tipOf(decodeBlock(ledger.block(ledger.height - 1).bytes).header);
  }

  async #pullRange(toNumber: number): Promise<void> {
    const { logger } = this.#opts;
    const roundsMax = this.#opts.roundsMax ?? PULL_ROUNDS_MAX_DEFAULT;
    let backoffMs = this.#opts.backoffInitialMs ?? 500;
    const backoffMaxMs = this.#opts.backoffMaxMs ?? 10_000;
    const failures: string[] = [];
    let sources = this.#currentSources();
    for (let round = 1; round <= roundsMax; round++) {
      // A config block pulled in the last round may name other orderers.
      if (round > 1) sources = this.#currentSources();
      const first = this.#firstSource % sources.length;
      for (let i = 0; i < sources.length; i++) {
        this.#checkOpen();
        if (this.#opts.ledger.height > toNumber) return;
        const index = (first + i) % sources.length;
        const source = sources[index]!;
        try {
          await this.#pullFrom(source, toNumber);
          return;
        } catch (err) {
          if (!(err instanceof OrdererError) || this.#closing.signal.aborted) throw err;
          failures.push(err.message);
          this.#opts.metrics?.sourceFailures.inc();
          logger.warn({ source: source.name, round, err: err.message }, `pulling blocks from ${source.name} failed; trying the next orderer`);
          // The next pull starts after the source that failed last.
          this.#firstSource = (index + 1) % sources.length;
        }
      }
      this.#opts.metrics?.failedRounds.inc();
      logger.warn({ round, toNumber, backoffMs }, `round ${round} of pulling blocks up to ${toNumber} failed on every orderer`);
      if (round < roundsMax) await this.#sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, backoffMaxMs);
    }
    throw new BlockPullError(
      `pulling blocks up to ${toNumber} failed after ${roundsMax} rounds over ${sources.length} orderers: ${failures.slice(-sources.length).join(' | ')}`,
    );
  }

  /**
   * Blocks from one source, verified per batch (pulledBatches.ts: each block
   * chained to the one before it and to its data as it arrives, a batch's
   * orderer signature checked on its last block, off the main thread where the
   * engine can) and handed to the ledger in order, a batch only once its
   * signature verified: a block that does not chain, or a batch whose closing
   * signature fails, is never appended, nor anything after it. Returns (or
   * throws) only once every batch handed over is durable or failed, so the
   * next source starts from the durable tip.
   */
  async #pullFrom(source: BlockSource, toNumber: number): Promise<void> {
    const { ledger, channelId } = this.#opts;
    const verifier = this.#currentVerifier();
    // Ends this source's stream as soon as a batch fails, not at its next block (a source may stall after a forged one).
    const failed = new AbortController();
    const batches = new PulledBatches({
      verifier,
      ledger,
      source: source.name,
      tip: this.#tip(),
      lastNumber: toNumber,
      clock: this.#clock,
      onAppended: (number) => {
        this.#opts.onBlockPulled?.(number);
        this.#opts.metrics?.blocksPulled.inc();
      },
      onFailed: () => failed.abort(),
    });
    try {
      const signal = AbortSignal.any([this.#closing.signal, failed.signal]);
      await source.deliver(channelId, batches.tip.number + 1, toNumber, (bytes) => batches.add(bytes), signal);
    } finally {
      // The blocks received before the stream ended or failed are a chained run: their last block's signature vouches for them.
      if (!this.#closing.signal.aborted) batches.close();
      await batches.drain();
    }
    if (batches.tip.number < toNumber) throw new BlockPullError(`${source.name} ended the stream at block ${batches.tip.number}, before block ${toNumber}`);
  }

  #checkOpen(): void {
    if (this.#closing.signal.aborted) throw new BlockPullError(`channel "${this.#opts.channelId}": block puller closed`);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.after(ms, () => {
        this.#closing.signal.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = (): void => {
        timer.cancel();
        resolve();
      };
      this.#closing.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
