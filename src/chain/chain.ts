// One channel on one node: the composition of its parts. It drives the Raft
// RawNode from the main thread (a tick every tickIntervalMs; the Ready loop:
// persist through the node's group commit, THEN send, apply committed blocks,
// advance — one Ready in flight at a time, ticks and incoming messages keep
// flowing meanwhile), takes submits (submitPath.ts → router.ts: leader into
// its pipeline, follower forwarded to the leader), and follows leadership
// changes (leadership.ts) as Fabric's etcdraft chain does. What the parts
// share is the chain's context (chainContext.ts); they are built by
// order/orderWiring.ts, submit/intakeWiring.ts, config/configWiring.ts and
// liveness/livenessWiring.ts.

import type { HeaderFields } from '../block/index.js';
import type { TimerHandle } from '../clock.js';
import { chainStatsOf, type ChainStats } from './chainStats.js';
import { ChainContext, type ChainDeps } from './chainContext.js';
import { openConfigControl } from './config/configWiring.js';
import { ChainHaltedError } from './errors.js';
import type { Liveness } from './liveness/liveness.js';
import { openLiveness } from './liveness/livenessWiring.js';
import type { ChainOptions } from './options.js';
import { bootstrapFreshChannel, createRawNode } from './order/bootstrap.js';
import { FreshCampaign } from './order/freshCampaign.js';
import { PipelineState, type LeaderPipeline } from './order/leaderPipeline.js';
import { Leadership } from './order/leadership.js';
import { createApplier, createPipeline, createReadyLoop } from './order/orderWiring.js';
import type { Handover } from './submit/handover.js';
import { openIntake } from './submit/intakeWiring.js';
import type { EnvelopeRouter } from './submit/router.js';
import type { SubmitPath } from './submit/submitPath.js';
import { raftLogger } from './submit/submitSupport.js';
import { bindTransport } from './transportBinding.js';
import type { ChannelStatus, ChannelSupport, SubmitOptions, SubmitResult } from './types.js';

export type { ChainStats } from './chainStats.js';
export type { ChainDeps } from './chainContext.js';

export class Chain implements ChannelSupport {
  readonly channelId: string;
  readonly #ctx: ChainContext;
  readonly #leadership: Leadership;
  readonly #pipeline: LeaderPipeline;
  readonly #handover: Handover;
  readonly #router: EnvelopeRouter;
  readonly #intake: SubmitPath;
  // Set once started.
  #ticker: TimerHandle | undefined;
  #campaign: FreshCampaign | undefined;

  constructor(options: ChainOptions, deps: ChainDeps) {
    const ctx = new ChainContext(options, deps);
    this.#ctx = ctx;
    this.channelId = ctx.channelId;
    this.#leadership = new Leadership({
      log: ctx.log,
      metrics: ctx.metrics,
      onLeader: (lead) => {
        this.#router.onLeader(lead);
        ctx.liveness?.onLeader(lead);
      },
      becameLeader: () => this.#router.becameLeader(),
      steppedDown: () => this.#router.steppedDown('no Raft leader'),
    });
    const halt = this.#halt.bind(this);
    this.#pipeline = createPipeline(ctx, this.#leadership, halt);
    const intake = openIntake(ctx, this.#leadership, this.#pipeline);
    this.#handover = intake.handover;
    this.#router = intake.router;
    this.#intake = intake.submitPath;
  }

  /**
   * Writes the genesis block to an empty ledger, bootstraps Raft on a fresh
   * channel, joins the transport and starts ticking. Throws ChainOptionsError
   * when the ledger is empty and no genesis block was given.
   */
  async start(): Promise<void> {
    const ctx = this.#ctx;
    ctx.lifecycle.beginStart();
    const { storage } = ctx.deps;
    let fresh;
    try {
      fresh = await bootstrapFreshChannel(ctx.opts, storage, ctx.hasher, ctx.log);
    } catch (err) {
      ctx.lifecycle.startFailed(); // e.g. no genesis block: fix and start again
      throw err;
    }
    // close() during the bootstrap write: do not come alive afterwards.
    if (!ctx.lifecycle.starting) return;
    const applied = storage.raft.snapshot().metadata.index;
    const node = createRawNode(ctx.opts, storage.raft, applied, raftLogger(ctx.log), ctx.random);
    ctx.node = node;
    this.#campaign = new FreshCampaign(fresh.campaign, ctx.opts.electionTick, () => {
      ctx.log.info('this node is picked to start the campaign on a fresh channel');
      ctx.raft().campaign();
    });
    this.#leadership.term = storage.raft.initialState().hardState.term;
    ctx.config = openConfigControl({
      opts: ctx.opts,
      compute: ctx.deps.compute,
      storage,
      transport: ctx.deps.transport,
      log: ctx.log,
      metrics: ctx.metrics,
      intake: this.#intake,
      pipeline: this.#pipeline,
      leadership: this.#leadership,
      raft: () => ctx.raft(),
      applier: () => ctx.applier!,
      kick: () => ctx.loop?.kick(),
    });
    const halt = this.#halt.bind(this);
    const applier = createApplier(ctx, halt);
    ctx.applier = applier;
    ctx.config?.applyAtStart();
    const snapshot = storage.raft.snapshot();
    if (snapshot.metadata.index > 0) applier.onSnapshotInstalled(snapshot.data, snapshot.metadata.index);
    ctx.loop = createReadyLoop(ctx, node, applier, {
      leadership: this.#leadership,
      pipeline: this.#pipeline,
      reorder: (orphans, why) => this.#router.reorder(orphans, why),
      afterApply: (appliedIndex, blocks, lastTerm) => this.#afterApply(appliedIndex, blocks, lastTerm),
      halt,
    });
    ctx.metrics.clusterSize.set(ctx.opts.consenters.length);
    ctx.metrics.isLeader.set(0);
    ctx.lifecycle.started();
    this.#joinTransport();
    ctx.liveness = this.#createLiveness();
    this.#ticker = ctx.clock.every(ctx.opts.tickIntervalMs, () => this.#tick());
    ctx.log.info({ fresh: fresh.fresh, campaign: fresh.campaign, applied, height: storage.ledger.height }, 'chain started');
    this.#campaign.start();
    ctx.loop.kick();
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
    return this.#ctx.deps.storage.ledger.height;
  }

  block(number: number): Uint8Array {
    return this.#ctx.deps.storage.ledger.block(number).bytes;
  }

  blockPieces(number: number): readonly Uint8Array[] {
    const block = this.#ctx.deps.storage.ledger.block(number);
    return block.pieces === undefined ? [block.bytes] : [block.pieces.head, block.pieces.tail];
  }

  waitForBlock(number: number, signal?: AbortSignal): Promise<void> {
    const closing = this.#ctx.closing.signal;
    const signals = signal === undefined ? [closing] : [closing, signal];
    return this.#ctx.deps.storage.ledger.waitForBlock(number, AbortSignal.any(signals));
  }

  status(): ChannelStatus {
    return {
      channelId: this.channelId,
      nodeId: this.#ctx.opts.selfId,
      leaderId: this.#leadership.leaderId,
      isLeader: this.#leadership.isLeader,
      height: this.height(),
      raftTerm: this.#leadership.term,
      clusterSize: this.#ctx.consenterIds().length,
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
    if (this.#ctx.lifecycle.running) await this.#ctx.liveness?.handOverLeadership();
  }

  /**
   * Stops ticking, waits for the Ready in flight, refuses waiting submits,
   * rejects block waiters. With `transferLeadership` (SIGTERM), a leader
   * first hands leadership over (handOverLeadership()).
   */
  async close(options: { readonly transferLeadership?: boolean } = {}): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.lifecycle.closed) return;
    if (options.transferLeadership === true) {
      await this.handOverLeadership();
      // Another close() may have finished during the handoff.
      if (ctx.lifecycle.closed) return;
    }
    const wasAlive = ctx.lifecycle.close();
    this.#ticker?.cancel();
    ctx.liveness?.close();
    this.#router.steppedDown(`channel "${this.channelId}" is closing`);
    if (this.#handover.size > 0) ctx.log.warn({ envelopes: this.#handover.size }, 'closing with accepted envelopes no leader took');
    ctx.closing.abort();
    if (wasAlive) {
      ctx.deps.transport.setHandler(this.channelId, undefined);
      await ctx.loop?.idle();
      await ctx.applier?.whenWritten();
    }
    ctx.deps.catchUp?.close?.();
    ctx.log.info('chain closed');
  }

  // ---- internals: wiring the parts ----

  /** Takes this channel's Raft messages, forwarded submits and peer reports from the cluster transport. */
  #joinTransport(): void {
    const ctx = this.#ctx;
    bindTransport(ctx.deps.transport, {
      channelId: this.channelId,
      selfId: ctx.opts.selfId,
      log: ctx.log,
      isRunning: () => ctx.lifecycle.running,
      consenterIds: () => ctx.consenterIds(),
      raft: () => ctx.raft(),
      kick: () => ctx.loop!.kick(),
      inbound: (message) => ctx.liveness!.inbound(message),
      peerLost: (peer) => ctx.liveness?.onPeerLost(peer),
      peerRefused: (peer, reason) => ctx.liveness?.onPeerRefused(peer, reason),
      forwarded: (from, envelope) => this.#intake.forwarded(from, envelope),
      forwardedAll: (from, envelopes) => this.#intake.forwardedAll(from, envelopes),
    });
  }

  #createLiveness(): Liveness {
    const ctx = this.#ctx;
    return openLiveness({
      opts: ctx.opts,
      storage: ctx.deps.storage,
      transport: ctx.deps.transport,
      catchUp: ctx.deps.catchUp,
      eviction: ctx.deps.eviction,
      log: ctx.log,
      clock: ctx.clock,
      random: ctx.random,
      metrics: ctx.metrics,
      raft: () => ctx.raft(),
      kick: () => ctx.loop!.kick(),
      pendingEnvelopes: () => this.#handover.unsettled + this.#pipeline.unproposedCount,
      appliedTerm: () => ctx.appliedTerm,
      evicted: (reason) => this.#halt('evicted', new Error(reason), reason),
    });
  }

  // ---- internals: running ----

  #tick(): void {
    const ctx = this.#ctx;
    if (!ctx.lifecycle.running) return;
    // Removed by config: a follower stops ticking once Raft no longer counts it as a voter, a leader
    // only once it handed leadership over. Until the RemoveNode is applied it keeps ticking: without
    // ticks its election lease never expires and it refuses every vote, so if the leader is lost before
    // the RemoveNode commits, the others could never elect the leader that proposes it.
    if (ctx.config?.removed === true && !this.#leadership.isLeader && !ctx.raft().status().config.voters.includes(ctx.opts.selfId)) return;
    ctx.raft().tick();
    this.#campaign!.onTick(this.#leadership.leaderId);
    this.#router.onTick();
    ctx.liveness!.onTick(this.#leadership.leaderId !== 0);
    ctx.config?.onTick(this.#leadership.leaderId);
    ctx.metrics.activeNodes.set(ctx.consenterIds().filter((id) => id === ctx.opts.selfId || ctx.deps.transport.isReachable(id)).length);
    ctx.loop!.kick();
  }

  #afterApply(appliedIndex: number, blocks: readonly HeaderFields[], lastTerm: number): void {
    const ctx = this.#ctx;
    // Envelopes of blocks this node proposed that can no longer commit (another
    // leader's block took their number, or a later term committed without them): order them again.
    for (const header of blocks) this.#router.reorder(this.#pipeline.onBlockCommitted(header), `superseded at block ${header.number}`);
    if (lastTerm > 0) ctx.appliedTerm = lastTerm;
    if (lastTerm > 0) this.#router.reorder(this.#pipeline.onTermApplied(lastTerm), `dropped by the leader of term ${lastTerm}`);
    ctx.config?.afterApply();
    if (this.#pipeline.state === PipelineState.Catching) {
      if (ctx.applier!.hasGap) return;
      this.#pipeline.maybeServe(appliedIndex, () => ctx.applier!.lastHeader);
    }
  }

  /** `publicReason`: what submitters are told (lifecycle.halt); internal failures point them at the log. */
  #halt(what: string, err: unknown, publicReason?: string): void {
    const ctx = this.#ctx;
    if (!ctx.lifecycle.halt(publicReason)) return;
    const error = new ChainHaltedError(this.channelId, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    ctx.log.error({ err }, error.message);
    this.#ticker?.cancel();
    ctx.liveness?.close();
    this.#router.steppedDown(error.message);
  }
}
