// Where an envelope goes, and where it goes when leadership moves: on the
// leader into its pipeline, on a follower forwarded to the leader (and sent
// again to the next leader while it has no verdict: forwarder.ts), with no
// leader held briefly for the next one (forwarder.ts), then refused. A
// stepping-down leader routes its waiting submits again and holds its accepted
// ones for the next leader (Handover); a node leading again orders what it
// holds itself; envelopes of its lost proposals are ordered again.

import type { Logger } from 'pino';
import { ServiceUnavailableError } from '../errors.js';
import type { Forwarder } from './forwarder.js';
import type { Handover } from './handover.js';
import { PipelineState, type IntakeItem, type LeaderPipeline, type OrderedEnvelope } from '../order/leaderPipeline.js';
import type { TxTracker } from './txTracker.js';

/** What the router needs to know of the chain's current view. */
export interface RouterView {
  readonly channelId: string;
  readonly selfId: number;
  /** This node leads (as of the last Ready processed). */
  isLeader(): boolean;
  /** The known leader, 0 if none. */
  leaderId(): number;
  /** The chain runs (not halted or closed): handed-back submits may be routed again. */
  isRunning(): boolean;
}

export class EnvelopeRouter {
  constructor(
    private readonly view: RouterView,
    private readonly pipeline: LeaderPipeline,
    private readonly handover: Handover,
    private readonly forwarder: Forwarder,
    private readonly log: Logger,
    private readonly txs: TxTracker,
  ) {}

  /**
   * Leader: into the pipeline (resolves once accepted); follower: forwarded;
   * no leader known (or this node's leadership not yet processed): held for
   * the next leader, within the forwarder's bounds, then SERVICE_UNAVAILABLE.
   */
  order(envelope: OrderedEnvelope): Promise<void> {
    if (this.view.isLeader()) return this.orderHere(envelope);
    const lead = this.view.leaderId();
    if (lead === 0 || lead === this.view.selfId) return this.forwarder.holdForLeader(envelope);
    return this.forwarder.forward(lead, envelope);
  }

  /** Into this leader's pipeline (resolves once accepted); refused when this node does not lead. */
  orderHere(envelope: OrderedEnvelope): Promise<void> {
    if (this.view.isLeader()) {
      return new Promise<void>((resolve, reject) => {
        const item: IntakeItem = { ...envelope, accepted: resolve, refused: reject };
        try {
          this.pipeline.enqueue(item);
        } catch (err) {
          reject(err);
        }
      });
    }
    return Promise.reject(new ServiceUnavailableError(`node ${this.view.selfId} no longer leads`));
  }

  /**
   * order() for several envelopes at once, with one promise for all of them:
   * resolves once each is accepted or refused, with undefined (accepted) or
   * the refusal at its index. Never rejects.
   */
  orderAll(envelopes: readonly OrderedEnvelope[]): Promise<unknown[]> {
    const outcomes: unknown[] = new Array(envelopes.length).fill(undefined);
    if (envelopes.length === 0) return Promise.resolve(outcomes);
    return new Promise<unknown[]>((resolve) => {
      let left = envelopes.length;
      const settle = (index: number, refusal: unknown): void => {
        outcomes[index] = refusal;
        if (--left === 0) resolve(outcomes);
      };
      if (!this.view.isLeader()) {
        for (let i = 0; i < envelopes.length; i++) {
          this.order(envelopes[i]!).then(
            () => settle(i, undefined),
            (err: unknown) => settle(i, err),
          );
        }
        return;
      }
      for (let i = 0; i < envelopes.length; i++) {
        // No promise per envelope: the pipeline calls these back once the envelope is cut or refused.
        const item: IntakeItem = { ...envelopes[i]!, accepted: () => settle(i, undefined), refused: (err: unknown) => settle(i, err) };
        try {
          this.pipeline.enqueue(item);
        } catch (err) {
          settle(i, err);
        }
      }
    });
  }

  /** Every leader change: forwards without a verdict follow the leadership. */
  onLeader(lead: number): void {
    this.forwarder.onLeader(lead);
  }

  /** This node became leader: its pipeline takes submits, and what it held for a leader. */
  becameLeader(): void {
    this.pipeline.becomeLeader();
    this.pipeline.carry(this.handover.takeAll());
  }

  /** Stepping down (or closing, halting): route not-yet-accepted submits again, hold accepted ones for the next leader. */
  steppedDown(reason: string): void {
    if (!this.view.isRunning()) this.forwarder.close(new ServiceUnavailableError(reason));
    const { waiting, accepted } = this.pipeline.stop();
    // Its proposed blocks are Raft's now: the next leader applies them before it serves.
    this.txs.releaseAll();
    this.handover.hold(accepted);
    if (accepted.length > 0 || waiting.length > 0) {
      this.log.info({ accepted: accepted.length, waiting: waiting.length }, 'stepped down: pending envelopes handed back');
    }
    for (const item of waiting) {
      if (!this.view.isRunning()) item.refused(new ServiceUnavailableError(reason));
      else this.order(item).then(item.accepted, item.refused);
    }
  }

  /** Envelopes of this node's proposals that can no longer commit: ordered again. */
  reorder(orphans: OrderedEnvelope[], why: string): void {
    if (orphans.length === 0) return;
    this.txs.release(orphans.map((m) => m.txId ?? ''));
    this.log.info({ envelopes: orphans.length }, `own proposals ${why}: their envelopes are ordered again`);
    if (this.pipeline.state === PipelineState.Idle) this.handover.hold(orphans);
    else this.pipeline.carry(orphans);
  }

  /** Every tick: hand held envelopes to the leader (or, leading, order them here). */
  onTick(): void {
    const lead = this.view.leaderId();
    if (lead !== 0 && lead !== this.view.selfId) this.handover.flush(lead);
    // A forward that failed while this node became leader put its envelopes back: order them here.
    else if (lead === this.view.selfId && this.handover.size > 0 && this.pipeline.state !== PipelineState.Idle) this.pipeline.carry(this.handover.takeAll());
  }
}
