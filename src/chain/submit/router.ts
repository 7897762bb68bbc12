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
    if (envelopes.length === 0) return Promise.resolve([]);
    return new Promise<unknown[]>((resolve) => {
      const burst = new BurstOutcomes(envelopes.length, resolve);
      if (!this.view.isLeader()) {
        for (let i = 0; i < envelopes.length; i++) {
          this.order(envelopes[i]!).then(
            () => burst.settle(i, undefined),
            (err: unknown) => burst.settle(i, err),
          );
        }
        return;
      }
      for (let i = 0; i < envelopes.length; i++) {
        // No promise or closure per envelope: the pipeline calls the entry back once it is cut or refused.
        const item = new BurstEntry(envelopes[i]!, burst, i);
        try {
          this.pipeline.enqueue(item);
        } catch (err) {
          burst.settle(i, err);
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
      else
        this.order(item).then(
          () => item.accepted(),
          (err: unknown) => item.refused(err),
        );
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

/** The outcomes of one burst handed to ordering together: undefined (accepted) or the refusal, per index; resolved once all are in. */
class BurstOutcomes {
  readonly #outcomes: unknown[];
  #left: number;

  constructor(
    count: number,
    private readonly resolve: (outcomes: unknown[]) => void,
  ) {
    this.#outcomes = new Array(count).fill(undefined);
    this.#left = count;
  }

  settle(index: number, refusal: unknown): void {
    this.#outcomes[index] = refusal;
    if (--this.#left === 0) this.resolve(this.#outcomes);
  }
}

/** One envelope of a burst in the leader's intake: its fields copied once, its answer going to the burst's outcomes. */
class BurstEntry implements IntakeItem {
  readonly bytes: Uint8Array;
  readonly sizeBytes: number;
  readonly txId: string | undefined;
  readonly isConfig: boolean | undefined;
  readonly #burst: BurstOutcomes;
  readonly #index: number;

  constructor(envelope: OrderedEnvelope, burst: BurstOutcomes, index: number) {
    this.bytes = envelope.bytes;
    this.sizeBytes = envelope.sizeBytes;
    this.txId = envelope.txId;
    this.isConfig = envelope.isConfig;
    this.#burst = burst;
    this.#index = index;
  }

  accepted(): void {
    this.#burst.settle(this.#index, undefined);
  }

  refused(err: unknown): void {
    this.#burst.settle(this.#index, err);
  }
}
