// The chain's intake of envelopes: a client's submit (verified in the compute,
// refused when ordering must not take it, a CONFIG_UPDATE turned into the
// CONFIG envelope this node signs), a follower's forwarded submit on the
// leader (trusted, re-sized; a CONFIG envelope re-checked), and
// a Deliver request's authorization. What passes goes to the EnvelopeRouter.
// Owns the verification context and the BatchSize, which config blocks replace.

import type { Logger } from 'pino';
import { HeaderType, type BatchSize } from '../../block/index.js';
import { OrdererError } from '../../errors.js';
import { REJECTION_CODES, type ChainCompute, type EnvelopeRejection, type VerificationContext } from '../compute/compute.js';
import type { ConfigControl } from '../config/configControl.js';
import { BadRequestError, ServiceUnavailableError } from '../errors.js';
import type { ChainMetrics } from '../metrics.js';
import type { OrderedEnvelope } from '../order/leaderPipeline.js';
import type { EnvelopeRouter } from './router.js';
import { acceptForwarded, configEnvelopeSize, failureResult, refusalOf, rejectionStatus } from './submitSupport.js';
import { DEFAULT_ACK_TIMEOUT_MS, type DeliverAuthorization, type SubmitOptions, type SubmitResult } from '../types.js';
import { DUPLICATE_TX_CODE, duplicateBlockOf, type TxTracker } from './txTracker.js';
import { VerifyBatcher } from './verifyBatcher.js';

/** What the intake needs to know of the chain's current state. */
export interface SubmitHost {
  readonly channelId: string;
  readonly selfId: number;
  readonly log: Logger;
  readonly metrics: ChainMetrics;
  /** Why the channel takes no envelope now (halted, not running, removed…); undefined when it does. */
  unavailableReason(): string | undefined;
  /** The chain is closed (a Deliver request is refused; a halted chain still authorizes). */
  isClosed(): boolean;
  /** This node leads (as of the last Ready processed). */
  isLeader(): boolean;
  /** The known leader, 0 if none. */
  leaderId(): number;
  /** Config transactions; undefined when block 0 holds no readable config (updates refused). */
  config(): ConfigControl | undefined;
  /** Aborted when the chain closes (submits waiting for their block give up). */
  readonly closing: AbortSignal;
  /** Tx ids ordered or in flight, and submits waiting for their block. */
  readonly txs: TxTracker;
}

export class SubmitPath {
  /** Replaced (with a new context) when a config block changes the organizations. */
  #verifier: VerifyBatcher;
  #context: VerificationContext;
  /** The channel's current BatchSize (options, then config blocks): AbsoluteMaxBytes bounds every envelope. */
  #batchSize: BatchSize;

  constructor(
    private readonly host: SubmitHost,
    private readonly compute: ChainCompute,
    private readonly router: EnvelopeRouter,
    context: VerificationContext,
    batchSize: BatchSize,
  ) {
    this.#context = context;
    this.#verifier = new VerifyBatcher(compute, context);
    this.#batchSize = batchSize;
  }

  /** ChannelSupport.submit: never rejects, every failure is a SubmitResult. */
  async submit(envelope: Uint8Array, options?: SubmitOptions): Promise<SubmitResult> {
    return (await this.submitAll([envelope], options))[0]!;
  }

  /**
   * ChannelSupport.submitAll: one result per envelope, in order, never
   * rejects. The envelopes are verified in one go and the normal ones handed
   * to ordering together, so a read burst costs one promise, not several per envelope.
   */
  async submitAll(envelopes: readonly Uint8Array[], options?: SubmitOptions): Promise<SubmitResult[]> {
    const unavailable = this.host.unavailableReason();
    if (unavailable !== undefined) return envelopes.map(() => ({ status: 'SERVICE_UNAVAILABLE', info: unavailable }));
    let verdicts;
    try {
      verdicts = await this.#verifier.verifyAll(envelopes);
    } catch (err) {
      // OrdererErrors (pool overloaded or closed, too many waiting) are SERVICE_UNAVAILABLE: the client may retry.
      const failure = failureResult(err, this.host.log);
      return envelopes.map(() => failure);
    }
    const results: SubmitResult[] = new Array(envelopes.length);
    /** Envelopes ordered together, and where their results go. */
    const ordered: OrderedEnvelope[] = [];
    const orderedAt: number[] = [];
    /** Envelopes answered on their own path (CONFIG_UPDATE, committed acknowledgement). */
    const separate: Promise<void>[] = [];
    const committed = options?.ack === 'committed';
    for (let i = 0; i < envelopes.length; i++) {
      const envelope = envelopes[i]!;
      const verdict = verdicts[i]!;
      if (!verdict.ok) {
        results[i] = this.#rejected(verdict);
        continue;
      }
      const refusal = refusalOf(verdict, this.#batchSize);
      if (refusal !== undefined) {
        results[i] = refusal;
      } else if (verdict.type === HeaderType.CONFIG_UPDATE) {
        separate.push(this.#orderConfigUpdate(envelope).then((result) => void (results[i] = result)));
      } else if (committed && verdict.txId !== '') {
        const timeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
        separate.push(this.#orderCommitted(envelope, verdict.sizeBytes, verdict.txId, timeoutMs).then((result) => void (results[i] = result)));
      } else {
        ordered.push({ bytes: envelope, sizeBytes: verdict.sizeBytes, txId: verdict.txId });
        orderedAt.push(i);
      }
    }
    if (ordered.length > 0) {
      const outcomes = await this.router.orderAll(ordered);
      for (let k = 0; k < outcomes.length; k++) results[orderedAt[k]!] = this.#orderingResult(outcomes[k]);
    }
    if (separate.length > 0) await Promise.all(separate);
    return results;
  }

  /** What the client hears once ordering took (undefined) or refused an envelope. */
  #orderingResult(refusal: unknown): SubmitResult {
    if (refusal === undefined) return SUCCESS;
    // A duplicate (ordered, or in flight on the leader) is answered SUCCESS: the transaction is or will be ordered once.
    if (isDuplicate(refusal)) return { status: 'SUCCESS', info: refusal.message };
    return failureResult(refusal, this.host.log);
  }

  /**
   * A CONFIG_UPDATE: the CONFIG envelope this node makes of it is ordered,
   * answered once accepted (its tx id is empty, as Fabric's: there is no
   * committed acknowledgement to wait for by tx id).
   */
  async #orderConfigUpdate(updateEnvelope: Uint8Array): Promise<SubmitResult> {
    try {
      const config = this.#configOf(updateEnvelope);
      await this.router.order({ bytes: config, sizeBytes: configEnvelopeSize(config, this.#batchSize), txId: '', isConfig: true });
      return { status: 'SUCCESS', info: '' };
    } catch (err) {
      return failureResult(err, this.host.log);
    }
  }

  /** Ordered, then answered once its block is committed here (a duplicate in flight waits for the first copy's block). */
  async #orderCommitted(envelope: Uint8Array, sizeBytes: number, txId: string, timeoutMs: number): Promise<SubmitResult> {
    const cancel = new AbortController();
    // Registered before ordering: the block can commit before order() resolves.
    const committed = this.host.txs.waitCommitted(txId, timeoutMs, AbortSignal.any([this.host.closing, cancel.signal]));
    committed.catch(() => undefined); // awaited below, or abandoned via cancel
    try {
      await this.router.order({ bytes: envelope, sizeBytes, txId });
    } catch (err) {
      const inFlightDuplicate = isDuplicate(err) && duplicateBlockOf(err.message) === undefined;
      if (!inFlightDuplicate) {
        cancel.abort();
        if (isDuplicate(err)) return { status: 'SUCCESS', info: err.message };
        return failureResult(err, this.host.log);
      }
    }
    try {
      return { status: 'SUCCESS', info: `committed in block ${await committed}` };
    } catch (err) {
      return failureResult(err, this.host.log);
    }
  }

  /** ChannelSupport.authorizeDeliver. */
  async authorizeDeliver(envelope: Uint8Array): Promise<DeliverAuthorization> {
    if (this.host.isClosed()) return { status: 'SERVICE_UNAVAILABLE', info: `channel "${this.host.channelId}" is closed` };
    try {
      const verdict = await this.#verifier.verify(envelope);
      return verdict.ok ? { status: 'SUCCESS', info: '', validUntilMs: verdict.creatorValidUntilMs } : this.#rejected(verdict);
    } catch (err) {
      return failureResult(err, this.host.log);
    }
  }

  /** The client's answer for a refused envelope; a refusal no layer named is logged with its cause, as the orderer's to look at. */
  #rejected(verdict: EnvelopeRejection): SubmitResult {
    if (verdict.code === REJECTION_CODES.unexpected) {
      this.host.log.error({ reason: verdict.reason, cause: verdict.cause }, 'checking an envelope failed unexpectedly; the envelope alone is refused');
    }
    return { status: rejectionStatus(verdict.status), info: verdict.reason };
  }

  /**
   * An envelope a consenter forwarded to this node (the cluster's onSubmit):
   * resolves once accepted for ordering; throws an OrdererError the transport
   * carries back by code.
   */
  async forwarded(from: number, envelope: Uint8Array): Promise<void> {
    const unavailable = this.host.unavailableReason();
    if (unavailable !== undefined) throw new ServiceUnavailableError(unavailable);
    const { sizeBytes, isConfig, txId } = acceptForwarded(envelope, from, this.host.channelId, this.#batchSize);
    if (!this.host.isLeader()) throw this.#notLeader();
    if (isConfig) this.#checkConfig(envelope);
    await this.router.order({ bytes: envelope, sizeBytes, txId, ...(isConfig && { isConfig }) });
  }

  /**
   * forwarded() for the envelopes of one SubmitBatch frame, with one promise
   * for all: per envelope, undefined once accepted for ordering or the
   * OrdererError it was refused with. Never rejects.
   */
  async forwardedAll(from: number, envelopes: readonly Uint8Array[]): Promise<unknown[]> {
    const outcomes: unknown[] = new Array(envelopes.length).fill(undefined);
    const unavailable = this.host.unavailableReason();
    if (unavailable !== undefined) return outcomes.fill(new ServiceUnavailableError(unavailable));
    const ordered: OrderedEnvelope[] = [];
    const orderedAt: number[] = [];
    const separate: Promise<void>[] = [];
    for (let i = 0; i < envelopes.length; i++) {
      try {
        const { sizeBytes, isConfig, txId } = acceptForwarded(envelopes[i]!, from, this.host.channelId, this.#batchSize);
        if (isConfig) {
          // Rare, and checked again as a config update: on its own path.
          separate.push(this.forwarded(from, envelopes[i]!).then(undefined, (err: unknown) => void (outcomes[i] = err)));
          continue;
        }
        ordered.push({ bytes: envelopes[i]!, sizeBytes, txId });
        orderedAt.push(i);
      } catch (err) {
        outcomes[i] = err;
      }
    }
    if (ordered.length > 0 && !this.host.isLeader()) {
      const notLeader = this.#notLeader();
      for (const i of orderedAt) outcomes[i] = notLeader;
    } else if (ordered.length > 0) {
      const refusals = await this.router.orderAll(ordered);
      for (let k = 0; k < refusals.length; k++) outcomes[orderedAt[k]!] = refusals[k];
    }
    if (separate.length > 0) await Promise.all(separate);
    return outcomes;
  }

  #notLeader(): ServiceUnavailableError {
    // No further hop: two nodes with stale views could bounce an envelope between them.
    return new ServiceUnavailableError(
      `node ${this.host.selfId} is not the Raft leader of channel "${this.host.channelId}" (leader: ${this.host.leaderId() || 'none'})`,
    );
  }

  /** A config block changed the BatchSize: later envelopes are bounded by its AbsoluteMaxBytes. */
  setBatchSize(batchSize: BatchSize): void {
    this.#batchSize = batchSize;
  }

  /** A config block changed the organizations: later envelopes are verified against them. */
  setOrganizations(organizations: VerificationContext['organizations']): void {
    // A new context object: the pool registers contexts by identity, so the new MSPs take effect for later submits.
    this.#context = { ...this.#context, organizations };
    this.#verifier = new VerifyBatcher(this.compute, this.#context);
  }

  /** The CONFIG envelope a CONFIG_UPDATE produces; throws BadRequestError / ForbiddenError when it may not be ordered. */
  #configOf(updateEnvelope: Uint8Array): Uint8Array {
    this.host.metrics.configProposalsReceived.inc();
    return this.#configControl().processUpdate(updateEnvelope);
  }

  /** Throws BadRequestError / ForbiddenError for a forwarded CONFIG envelope that may not be ordered. */
  #checkConfig(envelope: Uint8Array): void {
    this.host.metrics.configProposalsReceived.inc();
    this.#configControl().check(envelope);
  }

  #configControl(): ConfigControl {
    const config = this.host.config();
    if (config === undefined)
      throw new BadRequestError(`channel "${this.host.channelId}" has no readable config in its config block: config updates are refused`);
    return config;
  }
}

/** Shared: every accepted envelope gets the same answer. */
const SUCCESS: SubmitResult = Object.freeze({ status: 'SUCCESS', info: '' });

/** The leader found the tx id ordered or in flight (here, or carried back by code from a forward). */
function isDuplicate(err: unknown): err is OrdererError {
  return err instanceof OrdererError && err.code === DUPLICATE_TX_CODE;
}
