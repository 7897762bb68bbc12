// The leader pipeline's figures as one value (tests, the live view, debugging).

import type { Handover } from './submit/handover.js';
import { PipelineState, type LeaderPipeline } from './order/leaderPipeline.js';

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

export function chainStatsOf(pipeline: LeaderPipeline, handover: Handover): ChainStats {
  return {
    inflightBlocks: pipeline.inflightBlocks,
    peakInflightBlocks: pipeline.peakInflightBlocks,
    waitingSubmits: pipeline.waitingCount,
    unproposedEnvelopes: pipeline.unproposedCount,
    heldForHandover: handover.size,
    serving: pipeline.state === PipelineState.Serving,
  };
}
