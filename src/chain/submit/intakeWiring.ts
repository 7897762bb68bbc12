// How one chain builds its intake over its context (chainContext.ts): the
// handover of a former leader's envelopes, the forwarder to the leader, the
// router that picks where an envelope goes, and the submit path in front.

import type { ChainContext } from '../chainContext.js';
import type { LeaderPipeline } from '../order/leaderPipeline.js';
import type { Leadership } from '../order/leadership.js';
import { Forwarder } from './forwarder.js';
import { Handover } from './handover.js';
import { leaderlessHold } from './leaderlessHold.js';
import { EnvelopeRouter } from './router.js';
import { SubmitPath } from './submitPath.js';

export interface Intake {
  readonly handover: Handover;
  readonly router: EnvelopeRouter;
  readonly submitPath: SubmitPath;
}

export function openIntake(ctx: ChainContext, leadership: Leadership, pipeline: LeaderPipeline): Intake {
  const { deps, opts } = ctx;
  const heldMax = (opts.maxInflightBlocks + 3) * opts.batchSize.maxMessageCount + opts.submitQueueMax;
  const handover = new Handover(heldMax, ctx.log, (to, bytes) => deps.transport.forwardSubmit(ctx.channelId, to, bytes));
  const view = {
    channelId: ctx.channelId,
    selfId: opts.selfId,
    isLeader: () => leadership.isLeader,
    leaderId: () => leadership.leaderId,
    isRunning: () => ctx.lifecycle.running,
  };
  const forwarder: Forwarder = new Forwarder(
    {
      selfId: opts.selfId,
      log: ctx.log,
      clock: ctx.clock,
      leaderId: () => leadership.leaderId,
      send: (to, bytes) => deps.transport.forwardSubmit(ctx.channelId, to, bytes),
      orderHere: (envelope) => router.orderHere(envelope),
    },
    2 * opts.electionTick * opts.tickIntervalMs,
    leaderlessHold(opts),
  );
  const router: EnvelopeRouter = new EnvelopeRouter(view, pipeline, handover, forwarder, ctx.log, ctx.txs);
  const { channelId, engine, hashAlgorithm, signatureAlgorithm, organizations } = opts;
  const submitPath = new SubmitPath(
    {
      ...view,
      log: ctx.log,
      metrics: ctx.metrics,
      unavailableReason: () => ctx.unavailableReason(),
      isClosed: () => ctx.lifecycle.closed,
      config: () => ctx.config,
      closing: ctx.closing.signal,
      txs: ctx.txs,
    },
    deps.compute,
    router,
    { channelId, engine, hashAlgorithm, signatureAlgorithm, organizations },
    opts.batchSize,
  );
  return { handover, router, submitPath };
}
