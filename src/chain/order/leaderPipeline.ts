// The leader's side of ordering: envelopes wait in a bounded intake queue,
// go through the block cutter (batch timer included), become blocks chained
// from the last block this leader CREATED, and are proposed to Raft
// pipelined: at most maxInflightBlocks created-and-not-yet-committed blocks.
// At the limit the intake is not read (its submitters keep waiting:
// backpressure) and reading resumes as blocks commit.
//
// Lifecycle (PipelineState): Idle on a follower; Catching from the moment
// this node leads until it has applied every entry of its log (Fabric: a new
// leader serves only then, so its block creator continues from the last block
// of the committed log); Serving. A failed proposal drops back to Catching.
// Stepping down hands back everything not yet proposed: the waiting intake
// (not yet accepted, to route again) and the accepted envelopes (to give to
// the next leader, never dropped).

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { BlockCutter, BlockCreator, type BatchSize, type HeaderFields } from '../../block/index.js';
import type { BlockStart, BuiltBlockEntry } from '../compute/compute.js';
import type { Hasher } from '../../crypto/index.js';
import { ProposalDroppedError } from '../../raft/index.js';
import type { ChainClock, TimerHandle } from '../../clock.js';
import { ServiceUnavailableError } from '../errors.js';
import { Fifo } from '../fifo.js';
import type { ChainMetrics } from '../metrics.js';
import { UnconfirmedProposals, type OrderedEnvelope } from './unconfirmedProposals.js';

export type { OrderedEnvelope };

/** An envelope waiting for room; `accepted` once it entered the cutter, `refused` if it may not (a duplicate tx id). */
export interface IntakeItem extends OrderedEnvelope {
  accepted(): void;
  refused(err: unknown): void;
}

/** Proposals remembered until Raft shows their fate, per in-flight slot (several terms' worth). */
const UNCONFIRMED_PER_INFLIGHT_BLOCK = 4;

export enum PipelineState {
  Idle,
  Catching,
  Serving,
}

export interface PipelineHost {
  /** Proposes block bytes to Raft; throws ProposalDroppedError if Raft refuses. */
  propose(data: Uint8Array): void;
  /**
   * The block numbered and chained as `start` says over `envelopes`, as the
   * Raft entry to propose (with `txIds` ahead of it), and its data hash; built
   * off the main thread (ChainCompute.blockEntry).
   */
  blockEntry(start: BlockStart, envelopes: readonly Uint8Array[], txIds: readonly string[]): Promise<BuiltBlockEntry>;
  /** Index of the last entry in the Raft log (what a new leader must apply before serving). */
  lastLogIndex(): number;
  /** The Raft term this node leads in (the term its proposals get). */
  currentTerm(): number;
  /** A failure the pipeline cannot recover from (halts the channel). */
  fail(err: unknown): void;
  /**
   * Re-checks a CONFIG envelope right before it is cut (a config committed
   * since it was accepted may have made it stale); false drops it (logged by the host).
   */
  admitConfig?(envelope: OrderedEnvelope): boolean;
  /**
   * The envelope is about to be cut: an error if its tx id is already ordered
   * or in flight (the envelope is refused, or dropped if it was carried),
   * undefined when it may be (then its tx id counts as in flight).
   */
  claim?(envelope: OrderedEnvelope): Error | undefined;
  /** Claimed envelopes handed back (to cut again, or to give to the next leader): no longer in flight here. */
  released?(envelopes: readonly OrderedEnvelope[]): void;
}

export interface PipelineSettings {
  readonly batchSize: BatchSize;
  readonly batchTimeoutMs: number;
  readonly maxInflightBlocks: number;
  readonly submitQueueMax: number;
  readonly hasher: Hasher;
  readonly clock: ChainClock;
  readonly logger: Logger;
  readonly metrics: ChainMetrics;
}

/** What a leader hands back when it steps down. */
export interface Handback {
  /** Not accepted yet: route them again (forward to the new leader, or refuse). */
  readonly waiting: IntakeItem[];
  /** Accepted, not proposed: give them to the next leader. */
  readonly accepted: OrderedEnvelope[];
}

export class LeaderPipeline {
  #state = PipelineState.Idle;
  /** Catching: serve once the applied index reaches this. */
  #serveAtIndex = 0;
  /** Bumped on every stop/suspend: block creations started before it are void. */
  #epoch = 0;
  /** Invariant: length <= submitQueueMax. */
  #intake = new Fifo<IntakeItem>();
  /** Accepted envelopes to feed before the intake (carried over a suspension or from a former leader). */
  #carried = new Fifo<OrderedEnvelope>();
  #cutter: BlockCutter<OrderedEnvelope>;
  #batchTimeoutMs: number;
  /** settings.maxInflightBlocks until a config block changes it (blocks already in flight above a lowered bound just finish). */
  #maxInflightBlocks: number;
  /**
   * A CONFIG envelope was cut and its block has not committed yet: nothing
   * more is cut (Fabric: the leader accepts no new transactions until a
   * config block commits, so the next block is cut under the new config).
   */
  #configInFlight = false;
  #batchTimer: TimerHandle | undefined;
  /** Cut, not yet turned into blocks. Invariant: length <= 2 (the pump stops feeding while it is non-empty). */
  #cutBatches: OrderedEnvelope[][] = [];
  /** Being hashed/created, in creation order. */
  #creating: OrderedEnvelope[][] = [];
  /** Numbers of blocks proposed and not yet seen committed, ascending. */
  #proposed: number[] = [];
  /** Invariant: #creating.length + #proposed.length <= maxInflightBlocks (asserted in #assertBound). */
  #peakInflightBlocks = 0;
  /** Our proposals whose fate Raft has not shown yet (kept across step-downs). */
  readonly #unconfirmed: UnconfirmedProposals;
  #creator: BlockCreator | undefined;
  #creation: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: PipelineSettings,
    private readonly host: PipelineHost,
  ) {
    this.#cutter = new BlockCutter<OrderedEnvelope>(settings.batchSize, (m) => m.sizeBytes);
    this.#batchTimeoutMs = settings.batchTimeoutMs;
    this.#maxInflightBlocks = settings.maxInflightBlocks;
    this.#unconfirmed = new UnconfirmedProposals(UNCONFIRMED_PER_INFLIGHT_BLOCK * settings.maxInflightBlocks, settings.logger);
  }

  get state(): PipelineState {
    return this.#state;
  }

  /** Blocks created and not yet committed (what max_inflight_blocks bounds). */
  get inflightBlocks(): number {
    return this.#creating.length + this.#proposed.length;
  }

  /** Highest inflightBlocks ever reached: tests assert it never passes maxInflightBlocks. */
  get peakInflightBlocks(): number {
    return this.#peakInflightBlocks;
  }

  get waitingCount(): number {
    return this.#intake.length;
  }

  /** Accepted envelopes not yet in a proposed block (cutter, cut batches, blocks being created, carried). */
  get unproposedCount(): number {
    let n = this.#cutter.pendingCount + this.#carried.length;
    for (const batch of this.#cutBatches) n += batch.length;
    for (const batch of this.#creating) n += batch.length;
    return n;
  }

  /** This node became leader: take submits into the intake, serve once caught up. */
  becomeLeader(): void {
    assert.equal(this.#state, PipelineState.Idle, 'becomeLeader on a pipeline that is not idle');
    this.#catchUp();
  }

  /**
   * Called after every applied Ready: once the log up to serveAtIndex is
   * applied, serving starts from `lastBlock`, the last block of the committed log.
   */
  maybeServe(appliedIndex: number, lastBlock: () => HeaderFields): void {
    if (this.#state !== PipelineState.Catching || appliedIndex < this.#serveAtIndex) return;
    const header = lastBlock();
    this.#creator = new BlockCreator(this.settings.hasher, header);
    this.#state = PipelineState.Serving;
    this.settings.logger.info({ lastBlock: header.number, appliedIndex }, `leader serves: next block ${header.number + 1}`);
    this.#pump();
  }

  /** Queues a verified envelope; throws ServiceUnavailableError when the intake is full or this node does not lead. */
  enqueue(item: IntakeItem): void {
    if (this.#state === PipelineState.Idle) throw new ServiceUnavailableError('this node is not the Raft leader');
    if (this.#intake.length >= this.settings.submitQueueMax) {
      throw new ServiceUnavailableError(`the leader's submit queue is full (${this.settings.submitQueueMax} envelopes waiting)`);
    }
    this.#intake.push(item);
    this.#pump();
  }

  /** Accepted envelopes from a former leader (or a former term of this one): ordered before the intake. */
  carry(envelopes: readonly OrderedEnvelope[]): void {
    assert.notEqual(this.#state, PipelineState.Idle, 'carry on an idle pipeline');
    this.#carried.pushAll(envelopes);
    this.#pump();
  }

  /**
   * A block was applied: its slot (and every earlier one) frees up. Returns
   * the envelopes of our proposals it proves lost, to be ordered again
   * (UnconfirmedProposals says how).
   */
  onBlockCommitted(header: HeaderFields): OrderedEnvelope[] {
    while (this.#proposed.length > 0 && this.#proposed[0]! <= header.number) this.#proposed.shift();
    // Intake paused behind a config block: it committed once nothing is in flight or cut.
    if (this.#configInFlight && this.inflightBlocks === 0 && this.#cutBatches.length === 0) this.#configInFlight = false;
    const orphans = this.#unconfirmed.onBlockCommitted(header);
    this.settings.metrics.inflightBlocks.set(this.inflightBlocks);
    this.#pump();
    return orphans;
  }

  /** Entries up to one of `term` were applied (after onBlockCommitted for them): envelopes of our earlier-term proposals, lost. */
  onTermApplied(term: number): OrderedEnvelope[] {
    return this.#unconfirmed.onTermApplied(term);
  }

  /** A snapshot up to block `last` was installed: envelopes of our proposals it proves lost. */
  onSnapshotInstalled(last: HeaderFields): OrderedEnvelope[] {
    while (this.#proposed.length > 0 && this.#proposed[0]! <= last.number) this.#proposed.shift();
    return this.#unconfirmed.onSnapshotInstalled(last);
  }

  /** True while intake is paused behind a config block in flight. */
  get pausedForConfig(): boolean {
    return this.#configInFlight;
  }

  /**
   * A config block committed with new batch values: later blocks are cut with
   * them. Called with the intake paused (nothing pending in the cutter on a
   * leader); anything pending is re-fed to the new cutter.
   */
  applyBatchSettings(batchSize: BatchSize, batchTimeoutMs: number): void {
    const pending = this.#cutter.cut();
    this.#cutter = new BlockCutter<OrderedEnvelope>(batchSize, (m) => m.sizeBytes);
    this.#batchTimeoutMs = batchTimeoutMs;
    this.#batchTimer?.cancel();
    this.#batchTimer = undefined;
    for (const item of pending) {
      const result = this.#cutter.ordered(item);
      this.#cutBatches.push(...result.batches.map((b) => [...b]));
      this.#setBatchTimer(result.pending);
    }
    this.#pump();
  }

  /** A config block changed MaxInflightBlocks (one of configtx's RUNTIME_RAFT_OPTIONS). */
  setMaxInflightBlocks(max: number): void {
    assert(Number.isSafeInteger(max) && max > 0, `maxInflightBlocks must be a positive integer, got ${max}`);
    this.#maxInflightBlocks = max;
    this.#pump();
  }

  /** Stepped down (or closing): nothing more is created; everything not proposed comes back. */
  stop(): Handback {
    if (this.#state === PipelineState.Idle) return { waiting: [], accepted: [] };
    const accepted = this.#takeUnproposed();
    const waiting = this.#intake.drain();
    this.#proposed = [];
    this.#state = PipelineState.Idle;
    this.settings.metrics.inflightBlocks.set(0);
    return { waiting, accepted };
  }

  #catchUp(): void {
    this.#state = PipelineState.Catching;
    this.#serveAtIndex = this.host.lastLogIndex();
    this.#creator = undefined;
  }

  /** Every accepted, unproposed envelope in order; voids creations in progress. */
  #takeUnproposed(): OrderedEnvelope[] {
    this.#epoch++;
    this.#configInFlight = false;
    this.#batchTimer?.cancel();
    this.#batchTimer = undefined;
    // concat, not push(...): a spread of thousands of arguments can overflow the stack.
    const claimed = ([] as OrderedEnvelope[]).concat(...this.#creating, ...this.#cutBatches, this.#cutter.cut());
    this.#creating = [];
    this.#cutBatches = [];
    this.#creation = Promise.resolve();
    this.host.released?.(claimed);
    return claimed.concat(this.#carried.drain());
  }

  /** Feeds the cutter while there is room. */
  #pump(): void {
    if (this.#state !== PipelineState.Serving) return;
    this.#createBlocks();
    const max = this.#maxInflightBlocks;
    while (this.#cutBatches.length === 0 && this.inflightBlocks < max && !this.#configInFlight) {
      const carried = this.#carried.shift();
      const item = carried ?? this.#intake.shift();
      if (item === undefined) break;
      const duplicate = this.host.claim?.(item);
      if (duplicate !== undefined) {
        if (carried === undefined) (item as IntakeItem).refused(duplicate);
        else this.settings.logger.info({ err: duplicate.message }, 'a carried envelope is a duplicate: not ordered again');
        continue;
      }
      if (carried === undefined) (item as IntakeItem).accepted();
      if (item.isConfig === true && this.host.admitConfig?.(item) === false) continue;
      const result = item.isConfig === true ? this.#cutter.orderedAlone(item) : this.#cutter.ordered(item);
      if (item.isConfig === true) this.#configInFlight = true;
      this.#cutBatches.push(...result.batches.map((b) => [...b]));
      this.#setBatchTimer(result.pending);
      this.#createBlocks();
    }
  }

  #setBatchTimer(pending: boolean): void {
    if (!pending) {
      this.#batchTimer?.cancel();
      this.#batchTimer = undefined;
    } else if (this.#batchTimer === undefined) {
      this.#batchTimer = this.settings.clock.after(this.#batchTimeoutMs, () => this.#onBatchTimeout());
    }
  }

  #onBatchTimeout(): void {
    this.#batchTimer = undefined;
    if (this.#state !== PipelineState.Serving) return;
    const batch = this.#cutter.cut();
    if (batch.length > 0) this.#cutBatches.push(batch);
    this.#pump();
  }

  /** Turns cut batches into blocks while fewer than maxInflightBlocks are in flight. */
  #createBlocks(): void {
    while (this.#cutBatches.length > 0 && this.inflightBlocks < this.#maxInflightBlocks) {
      const batch = this.#cutBatches.shift()!;
      this.#creating.push(batch);
      this.#assertBound();
      const epoch = this.#epoch;
      // Serialized: blocks are numbered and chained in cut order.
      this.#creation = this.#creation.then(() => this.#createAndPropose(batch, epoch)).catch((err: unknown) => this.host.fail(err));
    }
  }

  async #createAndPropose(batch: OrderedEnvelope[], epoch: number): Promise<void> {
    if (epoch !== this.#epoch) return; // a dropped proposal voided this creation before it began (and the creator with it)
    const envelopes = batch.map((m) => m.bytes);
    // Creations are serialized: the last block created is chained on already.
    const start = this.#creator!.nextHeaderStart();
    const built = await this.host.blockEntry(start, envelopes, batch.map(txIdOf));
    if (epoch !== this.#epoch) return; // stepped down meanwhile: the batch was handed back
    assert(this.#creating[0] === batch, 'blocks are created in cut order');
    const header: HeaderFields = { number: start.number, previousHash: start.previousHash, dataHash: built.dataHash };
    this.#creator!.appendHeader(header);
    this.#creating.shift();
    try {
      this.host.propose(built.entry);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.#onProposalDropped(header.number, batch, err);
      return;
    }
    this.#proposed.push(header.number);
    this.#unconfirmed.remember(header.number, this.host.currentTerm(), header.dataHash, batch);
    this.settings.metrics.inflightBlocks.set(this.inflightBlocks);
    this.settings.logger.debug({ block: header.number, envelopes: envelopes.length, inflight: this.inflightBlocks }, `proposed block ${header.number}`);
  }

  /**
   * Raft refused a proposal while we still lead (e.g. a leadership transfer).
   * The creator has numbered past it, so start over as a new leader would:
   * wait until the log is applied, then re-cut every unproposed envelope.
   */
  #onProposalDropped(number: number, batch: OrderedEnvelope[], err: ProposalDroppedError): void {
    this.settings.metrics.proposalFailures.inc();
    this.settings.logger.warn(
      { block: number, envelopes: batch.length, err: err.message },
      `proposal of block ${number} dropped by Raft; re-cutting its envelopes`,
    );
    const unproposed = this.#takeUnproposed();
    // Out of #creating already, so #takeUnproposed did not release it: its tx ids are cut again.
    this.host.released?.(batch);
    this.#carried.pushAll(batch);
    this.#carried.pushAll(unproposed);
    this.#catchUp();
  }

  #assertBound(): void {
    const inflight = this.inflightBlocks;
    assert(inflight <= this.#maxInflightBlocks, `${inflight} blocks in flight, more than maxInflightBlocks`);
    if (inflight > this.#peakInflightBlocks) this.#peakInflightBlocks = inflight;
    this.settings.metrics.inflightBlocks.set(inflight);
  }
}

/**
 * The tx id the ledger indexes for `m`, as read when it was verified or
 * forwarded (the path to ChannelHeader.tx_id, as readTxIds reads it). The
 * CONFIG envelope an orderer makes of a config update has none (Fabric's
 * CreateSignedEnvelope leaves it empty), so '' is what its block says too.
 */
function txIdOf(m: OrderedEnvelope): string {
  return m.txId ?? '';
}
