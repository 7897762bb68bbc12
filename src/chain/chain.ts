// One channel on one node: drives the Raft RawNode from the main thread (a
// tick every tickIntervalMs; the Ready loop: persist through the node's group
// commit, THEN send, apply committed blocks, advance — one Ready in flight at
// a time, ticks and incoming messages keep flowing meanwhile), routes
// submits (leader: into its pipeline; follower: forwarded to the leader), and
// follows leadership changes as Fabric's etcdraft chain does.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HeaderType, type BatchSize, type HeaderFields } from '../block/index.js';
import type { ClusterChannelHandler, ClusterTransport } from '../cluster/types.js';
import { createCryptoProvider } from '../crypto/provider.js';
import type { Hasher } from '../crypto/types.js';
import { RaftError, StateType, type Message, type RawNode, type SoftState } from '../raft/index.js';
import type { ChannelStorage } from '../storage/index.js';
import { BlockApplier, type SnapshotCatchUp } from './blockApplier.js';
import { consenterIdsMismatch, loadConfigState } from './channelConfig.js';
import { ConfigControl } from './configControl.js';
import { bootstrapFreshChannel, createRawNode } from './bootstrap.js';
import { systemClock, type ChainClock, type TimerHandle } from './clock.js';
import type { ChainCompute, VerificationContext } from './compute.js';
import { BadRequestError, ChainHaltedError, ServiceUnavailableError } from './errors.js';
import { Handover } from './handover.js';
import { LeaderPipeline, PipelineState } from './leaderPipeline.js';
import { ChainMetrics } from './metrics.js';
import { resolveChainOptions, type ChainOptions, type ResolvedChainOptions } from './options.js';
import { ReadyLoop } from './readyLoop.js';
import { EnvelopeRouter } from './router.js';
import { acceptForwarded, failureResult, raftLogger, refusalOf, rejectionStatus } from './submitSupport.js';
import type { ChannelStatus, ChannelSupport, SubmitResult } from './types.js';
import { VerifyBatcher } from './verifyBatcher.js';
import { Liveness } from './liveness.js';

/** The collaborators a chain is built with (one of each per node, except storage: per channel). */
export interface ChainDeps {
  readonly storage: ChannelStorage;
  readonly transport: ClusterTransport;
  readonly compute: ChainCompute;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock?: ChainClock;
  readonly catchUp?: SnapshotCatchUp;
}

/** The pipeline's figures (for tests, the live view and debugging). */
export interface ChainStats {
  readonly inflightBlocks: number;
  readonly peakInflightBlocks: number;
  /** Submits waiting for room in the leader's pipeline. */
  readonly waitingSubmits: number;
  /** Accepted envelopes not yet in a proposed block. */
  readonly unproposedEnvelopes: number;
  /** Accepted envelopes held for the next leader. */
  readonly heldForHandover: number;
  readonly serving: boolean;
}

enum Lifecycle {
  Created,
  Starting,
  Running,
  Halted,
  Closed,
}

export class Chain implements ChannelSupport {
  readonly channelId: string;
  readonly #opts: ResolvedChainOptions;
  readonly #deps: ChainDeps;
  readonly #log: Logger;
  readonly #clock: ChainClock;
  readonly #hasher: Hasher;
  readonly #metrics: ChainMetrics;
  /** Replaced (with a new context) when a config block changes the organizations. */
  #verifier: VerifyBatcher;
  #context: VerificationContext;
  /** The channel's current BatchSize (options, then config blocks). */
  #batchSize: BatchSize;
  /** Config transactions and membership; undefined when block 0 holds no readable config (updates refused). */
  #config: ConfigControl | undefined;
  readonly #pipeline: LeaderPipeline;
  readonly #handover: Handover;
  readonly #router: EnvelopeRouter;
  readonly #closing = new AbortController();
  #state = Lifecycle.Created;
  #node: RawNode | undefined;
  #loop: ReadyLoop | undefined;
  #applier: BlockApplier | undefined;
  #ticker: TimerHandle | undefined;
  /** Lost-log guard, eviction suspicion, shutdown handoff; set once running. */
  #liveness: Liveness | undefined;
  /** Term of the last entry applied (for the shutdown handoff). */
  #appliedTerm = 0;
  #soft: SoftState = { lead: 0, raftState: StateType.Follower };
  #term = 0;
  /** Fresh channel and this node is the first campaigner: campaign until a leader is known. */
  #campaignUntilLeader = false;
  #ticksSinceCampaign = 0;

  constructor(options: ChainOptions, deps: ChainDeps) {
    this.#opts = resolveChainOptions(options);
    this.#deps = deps;
    this.channelId = this.#opts.channelId;
    this.#log = deps.logger.child({ channel: this.channelId, node: this.#opts.selfId });
    this.#clock = deps.clock ?? systemClock;
    this.#hasher = createCryptoProvider(this.#opts.engine).hasher(this.#opts.hashAlgorithm);
    this.#metrics = new ChainMetrics(deps.metrics, this.channelId);
    const { channelId, engine, hashAlgorithm, signatureAlgorithm, organizations } = this.#opts;
    this.#context = { channelId, engine, hashAlgorithm, signatureAlgorithm, organizations };
    this.#verifier = new VerifyBatcher(deps.compute, this.#context);
    this.#batchSize = this.#opts.batchSize;
    this.#pipeline = new LeaderPipeline(
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
        dataHash: (envelopes) => deps.compute.dataHash(this.#opts.engine, this.#opts.hashAlgorithm, envelopes),
        lastLogIndex: () => deps.storage.raft.lastIndex(),
        currentTerm: () => this.#term,
        fail: (err) => this.#halt('block creation failed', err),
        admitConfig: (envelope) => this.#config?.admit(envelope) ?? false,
      },
    );
    const heldMax = (this.#opts.maxInflightBlocks + 3) * this.#opts.batchSize.maxMessageCount + this.#opts.submitQueueMax;
    this.#handover = new Handover(heldMax, this.#log, (to, bytes) => deps.transport.forwardSubmit(this.channelId, to, bytes));
    const view = {
      channelId: this.channelId,
      selfId: this.#opts.selfId,
      isLeader: () => this.#soft.raftState === StateType.Leader,
      leaderId: () => this.#soft.lead,
      isRunning: () => this.#state === Lifecycle.Running,
    };
    this.#router = new EnvelopeRouter(view, this.#pipeline, this.#handover, deps.transport, this.#log);
  }

  /**
   * Writes the genesis block to an empty ledger, bootstraps Raft on a fresh
   * channel, joins the transport and starts ticking. Throws ChainOptionsError
   * when the ledger is empty and no genesis block was given.
   */
  async start(): Promise<void> {
    if (this.#state !== Lifecycle.Created) throw new ServiceUnavailableError(`channel "${this.channelId}" was already started`);
    this.#state = Lifecycle.Starting;
    const { storage } = this.#deps;
    let fresh;
    try {
      fresh = await bootstrapFreshChannel(this.#opts, storage, this.#hasher, this.#log);
    } catch (err) {
      if (this.#state === Lifecycle.Starting) this.#state = Lifecycle.Created; // e.g. no genesis block: fix and start again
      throw err;
    }
    // close() during the bootstrap write: do not come alive afterwards.
    if (this.#state !== Lifecycle.Starting) return;
    this.#campaignUntilLeader = fresh.campaign;
    const applied = storage.raft.snapshot().metadata.index;
    this.#node = createRawNode(this.#opts, storage.raft, applied, raftLogger(this.#log));
    this.#term = storage.raft.initialState().hardState.term;
    this.#config = this.#configControl();
    this.#applier = new BlockApplier({
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
    });
    this.#config?.applyAtStart();
    const snapshot = storage.raft.snapshot();
    if (snapshot.metadata.index > 0) this.#applier.onSnapshotInstalled(snapshot.data, snapshot.metadata.index);
    this.#loop = new ReadyLoop(this.#node, storage.raft, {
      send: (messages) => this.#send(messages),
      onSoftState: (ss) => this.#onSoftState(ss),
      onTerm: (term) => (this.#term = term),
      applier: this.#applier,
      onSnapshot: (data, index) => {
        const last = this.#applier!.onSnapshotInstalled(data, index);
        this.#router.reorder(this.#pipeline.onSnapshotInstalled(last), `superseded by the snapshot's block ${last.number}`);
      },
      onApplied: (appliedIndex, blocks, lastTerm) => this.#afterApply(appliedIndex, blocks, lastTerm),
      fail: (err) => this.#halt('the Ready loop failed', err),
      log: this.#log,
    });
    this.#metrics.clusterSize.set(this.#opts.consenters.length);
    this.#metrics.isLeader.set(0);
    this.#state = Lifecycle.Running;
    this.#deps.transport.setHandler(this.channelId, this.#handler());
    this.#deps.transport.onUnreachable((peer) => {
      if (this.#state === Lifecycle.Running && this.#consenterIds().includes(peer)) this.#raft().reportUnreachable(peer);
    });
    this.#deps.transport.onSnapshotStatus?.((channelId, peer, status) => {
      // Without the failure report a leader keeps that follower paused in StateSnapshot (etcd).
      if (channelId !== this.channelId || this.#state !== Lifecycle.Running || !this.#consenterIds().includes(peer)) return;
      this.#raft().reportSnapshot(peer, status);
      this.#loop!.kick();
    });
    this.#liveness = this.#createLiveness();
    this.#ticker = this.#clock.every(this.#opts.tickIntervalMs, () => this.#tick());
    this.#log.info({ fresh: fresh.fresh, campaign: fresh.campaign, applied, height: storage.ledger.height }, 'chain started');
    if (this.#campaignUntilLeader) this.#campaign();
    this.#loop.kick();
  }

  // ---- ChannelSupport ----

  async submit(envelope: Uint8Array): Promise<SubmitResult> {
    const unavailable = this.#unavailableReason();
    if (unavailable !== undefined) return { status: 'SERVICE_UNAVAILABLE', info: unavailable };
    let verdict;
    try {
      verdict = await this.#verifier.verify(envelope);
    } catch (err) {
      // OrdererErrors (pool overloaded or closed, too many waiting) are SERVICE_UNAVAILABLE: the client may retry.
      return failureResult(err, this.#log);
    }
    if (!verdict.ok) return { status: rejectionStatus(verdict.status), info: verdict.reason };
    const refusal = refusalOf(verdict, this.#batchSize);
    if (refusal !== undefined) return refusal;
    const isConfig = verdict.type === HeaderType.CONFIG;
    try {
      if (isConfig) this.#checkConfig(envelope);
      await this.#router.order({ bytes: envelope, sizeBytes: verdict.sizeBytes, ...(isConfig && { isConfig }) });
      return { status: 'SUCCESS', info: '' };
    } catch (err) {
      return failureResult(err, this.#log);
    }
  }

  async authorizeDeliver(envelope: Uint8Array): Promise<SubmitResult> {
    if (this.#state === Lifecycle.Closed) return { status: 'SERVICE_UNAVAILABLE', info: `channel "${this.channelId}" is closed` };
    try {
      const verdict = await this.#verifier.verify(envelope);
      return verdict.ok ? { status: 'SUCCESS', info: '' } : { status: rejectionStatus(verdict.status), info: verdict.reason };
    } catch (err) {
      return failureResult(err, this.#log);
    }
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
      leaderId: this.#soft.lead,
      isLeader: this.#soft.raftState === StateType.Leader,
      height: this.height(),
      raftTerm: this.#term,
      clusterSize: this.#consenterIds().length,
    };
  }

  /** Pipeline figures for tests and the live view. */
  stats(): ChainStats {
    return {
      inflightBlocks: this.#pipeline.inflightBlocks,
      peakInflightBlocks: this.#pipeline.peakInflightBlocks,
      waitingSubmits: this.#pipeline.waitingCount,
      unproposedEnvelopes: this.#pipeline.unproposedCount,
      heldForHandover: this.#handover.size,
      serving: this.#pipeline.state === PipelineState.Serving,
    };
  }

  /**
   * Stops ticking, waits for the Ready in flight, refuses waiting submits,
   * rejects block waiters. With `transferLeadership` (SIGTERM), a leader
   * first hands leadership to its most caught-up follower and waits for the
   * new leader (at most 2 election timeouts), so clients see no election.
   */
  async close(options: { readonly transferLeadership?: boolean } = {}): Promise<void> {
    if (this.#state === Lifecycle.Closed) return;
    if (options.transferLeadership === true && this.#state === Lifecycle.Running) {
      await this.#liveness?.handOverLeadership();
      // Another close() may have finished during the handoff (TypeScript cannot see the await change #state).
      if ((this.#state as Lifecycle) === Lifecycle.Closed) return;
    }
    const wasRunning = this.#state === Lifecycle.Running || this.#state === Lifecycle.Halted;
    this.#state = Lifecycle.Closed;
    this.#ticker?.cancel();
    this.#router.steppedDown(`channel "${this.channelId}" is closing`);
    if (this.#handover.size > 0) this.#log.warn({ envelopes: this.#handover.size }, 'closing with accepted envelopes no leader took');
    this.#closing.abort();
    if (wasRunning) {
      this.#deps.transport.setHandler(this.channelId, undefined);
      await this.#loop?.idle();
      await this.#applier?.whenWritten();
    }
    this.#deps.catchUp?.close?.();
    this.#log.info('chain closed');
  }

  // ---- internals ----

  #raft(): RawNode {
    return this.#node!;
  }

  /** The config tracker over the ledger's last config block (undefined when it holds no readable config). */
  #configControl(): ConfigControl | undefined {
    const state = loadConfigState(this.#deps.storage.ledger, this.#log);
    if (state === undefined) return undefined;
    const mismatch = consenterIdsMismatch(state, this.#opts.consenters);
    if (mismatch !== undefined) {
      this.#log.warn(`${mismatch}: config updates are refused on this channel`);
      return undefined;
    }
    return new ConfigControl(state, {
      channelId: this.channelId,
      selfId: this.#opts.selfId,
      engine: this.#opts.engine,
      log: this.#log,
      metrics: this.#metrics,
      transport: this.#deps.transport,
      raft: () => this.#raft(),
      servingLeader: () => this.#soft.raftState === StateType.Leader && this.#pipeline.state === PipelineState.Serving,
      applyBatch: (values) => {
        this.#batchSize = values.batchSize;
        this.#pipeline.applyBatchSettings(values.batchSize, values.batchTimeoutMs);
      },
      applySnapshotInterval: (bytes) => this.#applier!.setSnapshotInterval(bytes),
      applyMaxInflightBlocks: (max) => this.#pipeline.setMaxInflightBlocks(max),
      snapshotNow: (appliedIndex) => this.#applier!.snapshotNow(appliedIndex),
      ledgerLastConfig: () => this.#deps.storage.ledger.lastConfig,
      loadLedgerConfig: () => loadConfigState(this.#deps.storage.ledger, this.#log),
      applyOrganizations: (organizations) => {
        // A new context object: the pool registers contexts by identity, so the new MSPs take effect for later submits.
        this.#context = { ...this.#context, organizations };
        this.#verifier = new VerifyBatcher(this.#deps.compute, this.#context);
      },
      kick: () => this.#loop?.kick(),
    });
  }

  /** The consenter ids of the committed config (the options' before any config update). */
  #consenterIds(): readonly number[] {
    return this.#config?.state.ids.consenterIds ?? this.#opts.consenters;
  }

  #unavailableReason(): string | undefined {
    const notServing = this.#config?.notServingReason;
    if (notServing !== undefined) return notServing;
    if (this.#state === Lifecycle.Running) return undefined;
    if (this.#state === Lifecycle.Halted) return `channel "${this.channelId}" is halted (see the orderer log)`;
    return `channel "${this.channelId}" is not running`;
  }

  #handler(): ClusterChannelHandler {
    return {
      onConsensus: (from: number, message: Message) => {
        if (this.#state !== Lifecycle.Running) return;
        try {
          this.#raft().step(this.#liveness!.inbound(message));
        } catch (err) {
          // e.g. a response from a peer no longer in the membership: a peer's mistake, not ours.
          if (!(err instanceof RaftError)) throw err;
          this.#log.debug({ from, err: err.message }, 'raft message from a peer refused');
          return;
        }
        this.#loop!.kick();
      },
      onSubmit: async (from: number, envelope: Uint8Array) => {
        const unavailable = this.#unavailableReason();
        if (unavailable !== undefined) throw new ServiceUnavailableError(unavailable);
        const { sizeBytes, isConfig } = acceptForwarded(envelope, from, this.channelId, this.#batchSize);
        if (this.#soft.raftState !== StateType.Leader) {
          // No further hop: two nodes with stale views could bounce an envelope between them.
          throw new ServiceUnavailableError(`node ${this.#opts.selfId} is not the Raft leader of channel "${this.channelId}" (leader: ${this.#soft.lead || 'none'})`);
        }
        if (isConfig) this.#checkConfig(envelope);
        await this.#router.order({ bytes: envelope, sizeBytes, ...(isConfig && { isConfig }) });
      },
    };
  }

  /** Throws BadRequestError / ForbiddenError for a CONFIG envelope that may not be ordered. */
  #checkConfig(envelope: Uint8Array): void {
    this.#metrics.configProposalsReceived.inc();
    if (this.#config === undefined) throw new BadRequestError(`channel "${this.channelId}" has no readable config in its config block: config updates are refused`);
    this.#config.check(envelope);
  }

  #tick(): void {
    if (this.#state !== Lifecycle.Running) return;
    // Removed by config: a follower stops ticking (never campaigns), a leader only once it handed leadership over.
    if (this.#config?.removed === true && this.#soft.raftState !== StateType.Leader) return;
    this.#raft().tick();
    if (this.#campaignUntilLeader) {
      // Fabric re-campaigns every tick until elected; we do so every electionTick
      // ticks, so a slow disk does not turn each tick into a new term.
      if (this.#soft.lead !== 0) this.#campaignUntilLeader = false;
      else if (++this.#ticksSinceCampaign >= this.#opts.electionTick) this.#campaign();
    }
    this.#router.onTick();
    this.#liveness!.onTick(this.#soft.lead !== 0);
    this.#metrics.activeNodes.set(this.#consenterIds().filter((id) => id === this.#opts.selfId || this.#deps.transport.isReachable(id)).length);
    this.#loop!.kick();
  }

  #campaign(): void {
    this.#ticksSinceCampaign = 0;
    this.#log.info('this node is picked to start the campaign on a fresh channel');
    this.#raft().campaign();
  }

  #send(messages: readonly Message[]): void {
    for (const m of messages) this.#deps.transport.sendConsensus(this.channelId, m.to, m);
  }

  #onSoftState(ss: SoftState): void {
    const before = this.#soft;
    this.#soft = ss;
    this.#liveness?.onLeader(ss.lead);
    if (ss.lead !== before.lead) {
      // As Fabric: every change counts, losing the leader (-> 0) included.
      this.#metrics.leaderChanges.inc();
      this.#log.info({ leader: ss.lead, term: this.#term }, `raft leader changed: ${before.lead} -> ${ss.lead}`);
    }
    const wasLeader = before.raftState === StateType.Leader;
    const isLeader = ss.raftState === StateType.Leader;
    this.#metrics.isLeader.set(isLeader ? 1 : 0);
    if (isLeader && !wasLeader) {
      this.#router.becameLeader();
    } else if (wasLeader && !isLeader) {
      this.#router.steppedDown('no Raft leader');
    }
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

  #createLiveness(): Liveness {
    const host = {
      channelId: this.channelId,
      selfId: this.#opts.selfId,
      electionTick: this.#opts.electionTick,
      log: this.#log,
      clock: this.#clock,
      raft: () => this.#raft(),
      lastIndex: () => this.#deps.storage.raft.lastIndex(),
      kick: () => this.#loop!.kick(),
      sendConsensus: (m: Message) => this.#deps.transport.sendConsensus(this.channelId, m.to, m),
      isReachable: (peer: number) => this.#deps.transport.isReachable(peer),
      pendingEnvelopes: () => this.#handover.unsettled + this.#pipeline.unproposedCount,
      appliedTerm: () => this.#appliedTerm,
      evicted: (reason: string) => this.#halt('evicted', new Error(reason)),
    };
    const { catchUp } = this.#deps;
    const membershipProbe = catchUp?.newestBlock === undefined ? undefined : { newestBlock: () => catchUp.newestBlock!() };
    return new Liveness(host, { evictionSuspicionMs: this.#opts.evictionSuspicionMs, membershipProbe });
  }

  #halt(what: string, err: unknown): void {
    if (this.#state !== Lifecycle.Running) return;
    const error = new ChainHaltedError(this.channelId, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    this.#log.error({ err }, error.message);
    this.#state = Lifecycle.Halted;
    this.#ticker?.cancel();
    this.#router.steppedDown(error.message);
  }
}

