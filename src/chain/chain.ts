// One channel on one node: the composition of its parts. It drives the Raft
// RawNode from the main thread (a tick every tickIntervalMs; the Ready loop:
// persist through the node's group commit, THEN send, apply committed blocks,
// advance — one Ready in flight at a time, ticks and incoming messages keep
// flowing meanwhile), takes submits (submitPath.ts → router.ts: leader into
// its pipeline, follower forwarded to the leader), and follows leadership
// changes (leadership.ts) as Fabric's etcdraft chain does.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HeaderFields } from '../block/index.js';
import type { ClusterTransport } from '../cluster/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import type { Hasher } from '../crypto/index.js';
import type { RawNode } from '../raft/index.js';
import type { ChannelStorage } from '../storage/index.js';
import type { SnapshotCatchUp } from '../catchup/index.js';
import { BlockApplier } from './order/blockApplier.js';
import { bootstrapFreshChannel, createRawNode } from './order/bootstrap.js';
import { chainStatsOf, type ChainStats } from './chainStats.js';
import { systemClock, type ChainClock, type TimerHandle } from '../clock.js';
import type { ChainCompute } from './compute/compute.js';
import type { ConfigControl } from './config/configControl.js';
import { openConfigControl } from './config/configWiring.js';
import { ChainHaltedError } from './errors.js';
import { Forwarder } from './submit/forwarder.js';
import { leaderlessHold } from './submit/leaderlessHold.js';
import { FreshCampaign } from './order/freshCampaign.js';
import { Handover } from './submit/handover.js';
import { LeaderPipeline, PipelineState } from './order/leaderPipeline.js';
import { Leadership } from './order/leadership.js';
import { ChainLifecycle } from './lifecycle.js';
import type { EvictionDeps, Liveness } from './liveness/liveness.js';
import { openLiveness } from './liveness/livenessWiring.js';
import { ChainMetrics } from './metrics.js';
import { resolveChainOptions, type ChainOptions, type ResolvedChainOptions } from './options.js';
import { osRandom } from './order/osRandom.js';
import { ReadyLoop } from './order/readyLoop.js';
import { EnvelopeRouter } from './submit/router.js';
import { SubmitPath } from './submit/submitPath.js';
import { raftLogger } from './submit/submitSupport.js';
import { bindTransport } from './transportBinding.js';
import { TxTracker } from './submit/txTracker.js';
import type { ChannelStatus, ChannelSupport, SubmitOptions, SubmitResult } from './types.js';

export type { ChainStats } from './chainStats.js';

/** The collaborators a chain is built with (one of each per node, except storage: per channel). */
export interface ChainDeps {
  readonly storage: ChannelStorage;
  readonly transport: ClusterTransport;
  readonly compute: ChainCompute;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock?: ChainClock;
  readonly catchUp?: SnapshotCatchUp;
  /** The node's side of eviction suspicion: its TLS certificate and who hears the verdict; absent: looked up by Raft id only. */
  readonly eviction?: EvictionDeps;
  /** Uniform floats in [0, 1) for Raft's election timeouts and the early campaign's delay; default the OS's CSPRNG (tests pass a seeded one to replay). */
  readonly random?: () => number;
}

export class Chain implements ChannelSupport {
  readonly channelId: string;
  readonly #opts: ResolvedChainOptions;
  readonly #deps: ChainDeps;
  readonly #log: Logger;
  readonly #clock: ChainClock;
  readonly #hasher: Hasher;
  readonly #metrics: ChainMetrics;
  readonly #lifecycle: ChainLifecycle;
  readonly #leadership: Leadership;
  readonly #pipeline: LeaderPipeline;
  readonly #handover: Handover;
  readonly #router: EnvelopeRouter;
  readonly #intake: SubmitPath;
  readonly #txs: TxTracker;
  readonly #closing = new AbortController();
  readonly #random: () => number;
  /** Config transactions and membership; undefined when block 0 holds no readable config (updates refused). */
  #config: ConfigControl | undefined;
  // Set once started (start() builds them over the storage it bootstrapped).
  #node: RawNode | undefined;
  #loop: ReadyLoop | undefined;
  #applier: BlockApplier | undefined;
  #ticker: TimerHandle | undefined;
  #campaign: FreshCampaign | undefined;
  /** Lost-log guard, eviction suspicion, shutdown handoff. */
  #liveness: Liveness | undefined;
  /** Term of the last entry applied (for the shutdown handoff). */
  #appliedTerm = 0;

  constructor(options: ChainOptions, deps: ChainDeps) {
    this.#opts = resolveChainOptions(options);
    this.#deps = deps;
    this.channelId = this.#opts.channelId;
    this.#log = deps.logger.child({ channel: this.channelId, node: this.#opts.selfId });
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? osRandom;
    this.#hasher = createCryptoProvider(this.#opts.engine).hasher(this.#opts.hashAlgorithm);
    this.#metrics = new ChainMetrics(deps.metrics, this.channelId);
    this.#lifecycle = new ChainLifecycle(this.channelId);
    const ledger = deps.storage.ledger;
    this.#txs = new TxTracker({
      recentMax: this.#opts.recentTxIdsMax,
      waitersMax: this.#opts.submitQueueMax * 4,
      ledgerLookup: (txId) => ledger.txLocation(txId)?.blockNumber,
    });
    this.#leadership = new Leadership({
      log: this.#log,
      metrics: this.#metrics,
      onLeader: (lead) => {
        this.#router.onLeader(lead);
        this.#liveness?.onLeader(lead);
      },
      becameLeader: () => this.#router.becameLeader(),
      steppedDown: () => this.#router.steppedDown('no Raft leader'),
    });
    this.#pipeline = this.#createPipeline();
    const heldMax = (this.#opts.maxInflightBlocks + 3) * this.#opts.batchSize.maxMessageCount + this.#opts.submitQueueMax;
    this.#handover = new Handover(heldMax, this.#log, (to, bytes) => deps.transport.forwardSubmit(this.channelId, to, bytes));
    const view = {
      channelId: this.channelId,
      selfId: this.#opts.selfId,
      isLeader: () => this.#leadership.isLeader,
      leaderId: () => this.#leadership.leaderId,
      isRunning: () => this.#lifecycle.running,
    };
    const forwarder = new Forwarder(
      {
        selfId: this.#opts.selfId,
        log: this.#log,
        clock: this.#clock,
        leaderId: () => this.#leadership.leaderId,
        send: (to, bytes) => deps.transport.forwardSubmit(this.channelId, to, bytes),
        orderHere: (envelope) => this.#router.orderHere(envelope),
      },
      2 * this.#opts.electionTick * this.#opts.tickIntervalMs,
      leaderlessHold(this.#opts),
    );
    this.#router = new EnvelopeRouter(view, this.#pipeline, this.#handover, forwarder, this.#log, this.#txs);
    const { channelId, engine, hashAlgorithm, signatureAlgorithm, organizations } = this.#opts;
    this.#intake = new SubmitPath(
      {
        ...view,
        log: this.#log,
        metrics: this.#metrics,
        unavailableReason: () => this.#unavailableReason(),
        isClosed: () => this.#lifecycle.closed,
        config: () => this.#config,
        closing: this.#closing.signal,
        txs: this.#txs,
      },
      deps.compute,
      this.#router,
      { channelId, engine, hashAlgorithm, signatureAlgorithm, organizations },
      this.#opts.batchSize,
    );
  }

  /**
   * Writes the genesis block to an empty ledger, bootstraps Raft on a fresh
   * channel, joins the transport and starts ticking. Throws ChainOptionsError
   * when the ledger is empty and no genesis block was given.
   */
  async start(): Promise<void> {
    this.#lifecycle.beginStart();
    const { storage } = this.#deps;
    let fresh;
    try {
      fresh = await bootstrapFreshChannel(this.#opts, storage, this.#hasher, this.#log);
    } catch (err) {
      this.#lifecycle.startFailed(); // e.g. no genesis block: fix and start again
      throw err;
    }
    // close() during the bootstrap write: do not come alive afterwards.
    if (!this.#lifecycle.starting) return;
    const applied = storage.raft.snapshot().metadata.index;
    this.#node = createRawNode(this.#opts, storage.raft, applied, raftLogger(this.#log), this.#random);
    this.#campaign = new FreshCampaign(fresh.campaign, this.#opts.electionTick, () => {
      this.#log.info('this node is picked to start the campaign on a fresh channel');
      this.#raft().campaign();
    });
    this.#leadership.term = storage.raft.initialState().hardState.term;
    this.#config = openConfigControl({
      opts: this.#opts,
      compute: this.#deps.compute,
      storage,
      transport: this.#deps.transport,
      log: this.#log,
      metrics: this.#metrics,
      intake: this.#intake,
      pipeline: this.#pipeline,
      leadership: this.#leadership,
      raft: () => this.#raft(),
      applier: () => this.#applier!,
      kick: () => this.#loop?.kick(),
    });
    this.#applier = this.#createApplier();
    this.#config?.applyAtStart();
    const snapshot = storage.raft.snapshot();
    if (snapshot.metadata.index > 0) this.#applier.onSnapshotInstalled(snapshot.data, snapshot.metadata.index);
    this.#loop = this.#createReadyLoop(this.#node, this.#applier);
    this.#metrics.clusterSize.set(this.#opts.consenters.length);
    this.#metrics.isLeader.set(0);
    this.#lifecycle.started();
    this.#joinTransport();
    this.#liveness = this.#createLiveness();
    this.#ticker = this.#clock.every(this.#opts.tickIntervalMs, () => this.#tick());
    this.#log.info({ fresh: fresh.fresh, campaign: fresh.campaign, applied, height: storage.ledger.height }, 'chain started');
    this.#campaign.start();
    this.#loop.kick();
  }

  // ---- ChannelSupport ----

  submit(envelope: Uint8Array, options?: SubmitOptions): Promise<SubmitResult> {
    return this.#intake.submit(envelope, options);
  }

  submitAll(envelopes: readonly Uint8Array[], options?: SubmitOptions): Promise<SubmitResult[]> {
    return this.#intake.submitAll(envelopes, options);
  }

  authorizeDeliver(envelope: Uint8Array): Promise<SubmitResult> {
    return this.#intake.authorizeDeliver(envelope);
  }

  height(): number {
    return this.#deps.storage.ledger.height;
  }

  block(number: number): Uint8Array {
    return this.#deps.storage.ledger.block(number).bytes;
  }

  waitForBlock(number: number, signal?: AbortSignal): Promise<void> {
    const signals = signal === undefined ? [this.#closing.signal] : [this.#closing.signal, signal];
    return this.#deps.storage.ledger.waitForBlock(number, AbortSignal.any(signals));
  }

  status(): ChannelStatus {
    return {
      channelId: this.channelId,
      nodeId: this.#opts.selfId,
      leaderId: this.#leadership.leaderId,
      isLeader: this.#leadership.isLeader,
      height: this.height(),
      raftTerm: this.#leadership.term,
      clusterSize: this.#consenterIds().length,
    };
  }

  /** Pipeline figures for tests and the live view. */
  stats(): ChainStats {
    return chainStatsOf(this.#pipeline, this.#handover);
  }

  /**
   * SIGTERM's first step: a leader hands leadership to its most caught-up
   * follower and waits for the new leader (at most 2 election timeouts), so
   * clients see no election; the chain keeps running as a follower (its
   * clients' submits are forwarded) until close(). Resolves at once elsewhere.
   */
  async handOverLeadership(): Promise<void> {
    if (this.#lifecycle.running) await this.#liveness?.handOverLeadership();
  }

  /**
   * Stops ticking, waits for the Ready in flight, refuses waiting submits,
   * rejects block waiters. With `transferLeadership` (SIGTERM), a leader
   * first hands leadership over (handOverLeadership()).
   */
  async close(options: { readonly transferLeadership?: boolean } = {}): Promise<void> {
    if (this.#lifecycle.closed) return;
    if (options.transferLeadership === true) {
      await this.handOverLeadership();
      // Another close() may have finished during the handoff.
      if (this.#lifecycle.closed) return;
    }
    const wasAlive = this.#lifecycle.close();
    this.#ticker?.cancel();
    this.#liveness?.close();
    this.#router.steppedDown(`channel "${this.channelId}" is closing`);
    if (this.#handover.size > 0) this.#log.warn({ envelopes: this.#handover.size }, 'closing with accepted envelopes no leader took');
    this.#closing.abort();
    if (wasAlive) {
      this.#deps.transport.setHandler(this.channelId, undefined);
      await this.#loop?.idle();
      await this.#applier?.whenWritten();
    }
    this.#deps.catchUp?.close?.();
    this.#log.info('chain closed');
  }

  // ---- internals: wiring the parts ----

  #raft(): RawNode {
    return this.#node!;
  }

  #createPipeline(): LeaderPipeline {
    const { compute, storage } = this.#deps;
    return new LeaderPipeline(
      {
        batchSize: this.#opts.batchSize,
        batchTimeoutMs: this.#opts.batchTimeoutMs,
        maxInflightBlocks: this.#opts.maxInflightBlocks,
        submitQueueMax: this.#opts.submitQueueMax,
        hasher: this.#hasher,
        clock: this.#clock,
        logger: this.#log,
        metrics: this.#metrics,
      },
      {
        propose: (data) => {
          this.#raft().propose(data);
          this.#loop!.kick();
        },
        dataHash: (envelopes) => compute.dataHash(this.#opts.engine, this.#opts.hashAlgorithm, envelopes),
        lastLogIndex: () => storage.raft.lastIndex(),
        currentTerm: () => this.#leadership.term,
        fail: (err) => this.#halt('block creation failed', err),
        admitConfig: (envelope) => this.#config?.admit(envelope) ?? false,
        claim: (envelope) => this.#txs.claim(envelope.txId ?? ''),
        released: (envelopes) => this.#txs.release(envelopes.map((m) => m.txId ?? '')),
      },
    );
  }

  #createApplier(): BlockApplier {
    const { storage } = this.#deps;
    return new BlockApplier({
      channelId: this.channelId,
      ledger: storage.ledger,
      raftStorage: storage.raft,
      hasher: this.#hasher,
      compute: this.#deps.compute,
      consenterIds: this.#opts.consenters,
      snapshotIntervalSizeBytes: this.#opts.snapshotIntervalSizeBytes,
      logger: this.#log,
      metrics: this.#metrics,
      confState: () => this.#raft().status().config,
      fail: (err) => this.#halt('writing a committed block failed', err),
      catchUp: this.#deps.catchUp,
      ...(this.#config !== undefined && { configHook: this.#config }),
      onTxIds: (number, txIds) => this.#txs.onCommitted(number, txIds),
      whenRaftApplied: (index) => this.#loop!.whenAdvanced(index),
    });
  }

  #createReadyLoop(node: RawNode, applier: BlockApplier): ReadyLoop {
    return new ReadyLoop(node, this.#deps.storage.raft, {
      send: (messages) => {
        for (const m of messages) this.#deps.transport.sendConsensus(this.channelId, m.to, m);
      },
      onSoftState: (ss) => this.#leadership.onSoftState(ss),
      onTerm: (term) => (this.#leadership.term = term),
      applier,
      onSnapshot: (data, index) => {
        const last = applier.onSnapshotInstalled(data, index);
        this.#router.reorder(this.#pipeline.onSnapshotInstalled(last), `superseded by the snapshot's block ${last.number}`);
      },
      onApplied: (appliedIndex, blocks, lastTerm) => this.#afterApply(appliedIndex, blocks, lastTerm),
      fail: (err) => this.#halt('the Ready loop failed', err),
      log: this.#log,
    });
  }

  /** Takes this channel's Raft messages, forwarded submits and peer reports from the cluster transport. */
  #joinTransport(): void {
    bindTransport(this.#deps.transport, {
      channelId: this.channelId,
      log: this.#log,
      isRunning: () => this.#lifecycle.running,
      consenterIds: () => this.#consenterIds(),
      raft: () => this.#raft(),
      kick: () => this.#loop!.kick(),
      inbound: (message) => this.#liveness!.inbound(message),
      peerLost: (peer) => this.#liveness?.onPeerLost(peer),
      forwarded: (from, envelope) => this.#intake.forwarded(from, envelope),
    });
  }

  #createLiveness(): Liveness {
    return openLiveness({
      opts: this.#opts,
      storage: this.#deps.storage,
      transport: this.#deps.transport,
      catchUp: this.#deps.catchUp,
      eviction: this.#deps.eviction,
      log: this.#log,
      clock: this.#clock,
      random: this.#random,
      metrics: this.#metrics,
      raft: () => this.#raft(),
      kick: () => this.#loop!.kick(),
      pendingEnvelopes: () => this.#handover.unsettled + this.#pipeline.unproposedCount,
      appliedTerm: () => this.#appliedTerm,
      evicted: (reason) => this.#halt('evicted', new Error(reason), reason),
    });
  }

  // ---- internals: running ----

  /** The consenter ids of the committed config (the options' before any config update). */
  #consenterIds(): readonly number[] {
    return this.#config?.state.ids.consenterIds ?? this.#opts.consenters;
  }

  #unavailableReason(): string | undefined {
    return this.#config?.notServingReason ?? this.#lifecycle.unavailableReason();
  }

  #tick(): void {
    if (!this.#lifecycle.running) return;
    // Removed by config: a follower stops ticking once Raft no longer counts it as a voter, a leader
    // only once it handed leadership over. Until the RemoveNode is applied it keeps ticking: without
    // ticks its election lease never expires and it refuses every vote, so if the leader is lost before
    // the RemoveNode commits, the others could never elect the leader that proposes it.
    if (this.#config?.removed === true && !this.#leadership.isLeader && !this.#raft().status().config.voters.includes(this.#opts.selfId)) return;
    this.#raft().tick();
    this.#campaign!.onTick(this.#leadership.leaderId);
    this.#router.onTick();
    this.#liveness!.onTick(this.#leadership.leaderId !== 0);
    this.#config?.onTick(this.#leadership.leaderId);
    this.#metrics.activeNodes.set(this.#consenterIds().filter((id) => id === this.#opts.selfId || this.#deps.transport.isReachable(id)).length);
    this.#loop!.kick();
  }

  #afterApply(appliedIndex: number, blocks: readonly HeaderFields[], lastTerm: number): void {
    // Envelopes of blocks this node proposed that can no longer commit (another
    // leader's block took their number, or a later term committed without them): order them again.
    for (const header of blocks) this.#router.reorder(this.#pipeline.onBlockCommitted(header), `superseded at block ${header.number}`);
    if (lastTerm > 0) this.#appliedTerm = lastTerm;
    if (lastTerm > 0) this.#router.reorder(this.#pipeline.onTermApplied(lastTerm), `dropped by the leader of term ${lastTerm}`);
    this.#config?.afterApply();
    if (this.#pipeline.state === PipelineState.Catching) {
      if (this.#applier!.hasGap) return;
      this.#pipeline.maybeServe(appliedIndex, () => this.#applier!.lastHeader);
    }
  }

  /** `publicReason`: what submitters are told (lifecycle.halt); internal failures point them at the log. */
  #halt(what: string, err: unknown, publicReason?: string): void {
    if (!this.#lifecycle.halt(publicReason)) return;
    const error = new ChainHaltedError(this.channelId, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    this.#log.error({ err }, error.message);
    this.#ticker?.cancel();
    this.#liveness?.close();
    this.#router.steppedDown(error.message);
  }
}
