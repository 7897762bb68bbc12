// How one chain builds its ordering parts over its context (chainContext.ts):
// the leader's pipeline, the block applier and the Ready loop, each with the
// callbacks that tie it to Raft, the tx-id tracker and the other parts.

import type { RawNode } from '../../raft/index.js';
import type { HeaderFields } from '../../block/index.js';
import type { ChainContext, Halt } from '../chainContext.js';
import { BlockApplier } from './blockApplier.js';
import { LeaderPipeline, type OrderedEnvelope } from './leaderPipeline.js';
import type { Leadership } from './leadership.js';
import { ReadyLoop } from './readyLoop.js';

export function createPipeline(ctx: ChainContext, leadership: Leadership, halt: Halt): LeaderPipeline {
  const { compute, storage } = ctx.deps;
  return new LeaderPipeline(
    {
      batchSize: ctx.opts.batchSize,
      batchTimeoutMs: ctx.opts.batchTimeoutMs,
      maxInflightBlocks: ctx.opts.maxInflightBlocks,
      submitQueueMax: ctx.opts.submitQueueMax,
      hasher: ctx.hasher,
      clock: ctx.clock,
      logger: ctx.log,
      metrics: ctx.metrics,
    },
    {
      propose: (data) => {
        ctx.raft().propose(data);
        ctx.loop!.kick();
      },
      blockEntry: (start, envelopes, txIds) => compute.blockEntry(ctx.opts.engine, ctx.opts.hashAlgorithm, start, envelopes, txIds),
      lastLogIndex: () => storage.raft.lastIndex(),
      currentTerm: () => leadership.term,
      fail: (err) => halt('block creation failed', err),
      admitConfig: (envelope) => ctx.config?.admit(envelope) ?? false,
      claim: (envelope) => ctx.txs.claim(envelope.txId ?? ''),
      released: (envelopes) => ctx.txs.release(envelopes.map((m) => m.txId ?? '')),
    },
  );
}

export function createApplier(ctx: ChainContext, halt: Halt): BlockApplier {
  const { storage } = ctx.deps;
  return new BlockApplier({
    channelId: ctx.channelId,
    ledger: storage.ledger,
    raftStorage: storage.raft,
    hasher: ctx.hasher,
    compute: ctx.deps.compute,
    consenterIds: ctx.opts.consenters,
    snapshotIntervalSizeBytes: ctx.opts.snapshotIntervalSizeBytes,
    logger: ctx.log,
    metrics: ctx.metrics,
    confState: () => ctx.raft().status().config,
    fail: (err) => halt('writing a committed block failed', err),
    catchUp: ctx.deps.catchUp,
    ...(ctx.config !== undefined && { configHook: ctx.config }),
    onTxIds: (number, txIds) => ctx.txs.onCommitted(number, txIds),
    whenRaftApplied: (index) => ctx.loop!.whenAdvanced(index),
  });
}

/** The parts the Ready loop hands its results to. */
export interface ReadyLoopParts {
  readonly leadership: Leadership;
  readonly pipeline: LeaderPipeline;
  /** Orders again envelopes whose block can no longer commit (the router's reorder). */
  reorder(orphans: OrderedEnvelope[], why: string): void;
  afterApply(appliedIndex: number, blocks: readonly HeaderFields[], lastTerm: number): void;
  readonly halt: Halt;
}

export function createReadyLoop(ctx: ChainContext, node: RawNode, applier: BlockApplier, parts: ReadyLoopParts): ReadyLoop {
  const { leadership, pipeline, halt } = parts;
  return new ReadyLoop(node, ctx.deps.storage.raft, {
    send: (messages) => {
      for (const m of messages) ctx.deps.transport.sendConsensus(ctx.channelId, m.to, m);
    },
    onSoftState: (ss) => leadership.onSoftState(ss),
    onTerm: (term) => (leadership.term = term),
    applier,
    onSnapshot: (data, index) => {
      const last = applier.onSnapshotInstalled(data, index);
      parts.reorder(pipeline.onSnapshotInstalled(last), `superseded by the snapshot's block ${last.number}`);
    },
    onApplied: (appliedIndex, blocks, lastTerm) => parts.afterApply(appliedIndex, blocks, lastTerm),
    fail: (err) => halt('the Ready loop failed', err),
    log: ctx.log,
  });
}
