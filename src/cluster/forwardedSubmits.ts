// The envelopes a follower forwards to one peer (the leader) and their
// verdicts: the forwards of one channel in one event-loop turn leave as one
// SubmitBatch frame; each envelope keeps its own promise, settled by the
// peer's SubmitResults (or SubmitResult) frames, by the submit timeout, or by
// the link breaking. The link (peerLink.ts) owns the stream and the queue.

import { OrdererError } from '../errors.js';
import { ClusterUnavailableError, ForwardRejectedError } from './errors.js';
import { FrameKind, SUBMIT_BATCH_ENVELOPES_MAX, type SubmitResultsFrame } from './frames.js';
import type { ClusterMetrics } from './metrics.js';
import type { ClusterSettings, PinnedPeer } from './options.js';
import type { QueuedFrame, SendQueue } from './sendQueue.js';

/**
 * Frames queued in one turn of the event loop go out as one gRPC message up
 * to this size (a larger frame goes alone): gRPC's cost is per message.
 */
export const BATCH_BYTES_TARGET = 256 * 1024;

/**
 * Envelopes one SubmitBatch frame carries, at most (also at most
 * submitWaitersMax: a batch waits for room as a whole). Forwards of one
 * channel in one event-loop turn share a frame, up to this count and
 * BATCH_BYTES_TARGET of envelope bytes; a larger envelope goes alone.
 */
const SUBMIT_BATCH_ENVELOPES_TARGET = 256;
/** Bytes a SubmitBatch frame adds to its envelopes, at most: the tuple, the channel, the id, 5 per envelope. */
const submitFrameOverheadBytes = (channel: string, envelopes: number): number => 32 + 3 * channel.length + 5 * envelopes;

interface SubmitWaiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Envelopes of one channel forwarded in this turn of the event loop, not yet encoded: they leave as one SubmitBatch frame. */
interface OpenBatch {
  readonly channel: string;
  readonly envelopes: Uint8Array[];
  readonly waiters: SubmitWaiter[];
  /** Sum of the envelopes' lengths. Invariant: <= the batch byte bound, unless one envelope alone exceeds it. */
  bytes: number;
}

/** A SubmitBatch frame queued or written, until each of its envelopes has a verdict (or the timeout). */
interface SentBatch {
  readonly frame: QueuedFrame;
  readonly firstRequestId: number;
  readonly count: number;
  timer: NodeJS.Timeout | undefined;
  /** Envelopes of the batch without a verdict. Invariant: the number of #pending entries pointing at this batch. */
  open: number;
}

interface PendingSubmit extends SubmitWaiter {
  readonly batch: SentBatch;
}

/** What the forwarded submits need of their link. */
export interface ForwardedSubmitsHost {
  readonly peer: PinnedPeer;
  readonly settings: ClusterSettings;
  readonly metrics: ClusterMetrics;
  readonly queue: SendQueue;
  /** Why the link takes no frame now (closed or backing off), undefined when it does. */
  unreachable(): string | undefined;
  /** The link's state, named when a verdict times out. */
  stateName(): string;
  /** Frames were queued: write them. */
  kick(): void;
}

export class ForwardedSubmits {
  readonly #host: ForwardedSubmitsHost;
  // Invariant: every entry's frame is queued, waiting for room, or written and awaiting its verdict.
  readonly #pending = new Map<number, PendingSubmit>();
  #nextRequestId = 1;
  /** Per channel, the envelopes forwarded in this turn; encoded and queued at its end (setImmediate). */
  readonly #openBatches = new Map<string, OpenBatch>();
  #batchFlushScheduled = false;

  constructor(host: ForwardedSubmitsHost) {
    this.#host = host;
  }

  /**
   * Forwards an envelope; resolves on the peer's acceptance, rejects with its
   * rejection or SERVICE_UNAVAILABLE. The envelopes of one channel forwarded
   * in one event-loop turn leave together as one SubmitBatch frame (gRPC and
   * the queue cost per frame); each still gets its own verdict.
   */
  forward(channel: string, envelope: Uint8Array): Promise<void> {
    const unreachable = this.#host.unreachable();
    if (unreachable !== undefined) return Promise.reject(this.#unavailable(unreachable));
    const frameBytesMax = this.#host.settings.frameBytesMax;
    if (envelope.length + submitFrameOverheadBytes(channel, 1) > frameBytesMax) {
      return Promise.reject(
        new OrdererError('BAD_REQUEST', `envelope of ${envelope.length} bytes does not fit the cluster frame limit of ${frameBytesMax} bytes (frameBytesMax)`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let batch = this.#openBatches.get(channel);
      if (batch !== undefined && (batch.envelopes.length >= this.#batchEnvelopesMax() || batch.bytes + envelope.length > this.#batchBytesMax(channel))) {
        this.#sendBatch(batch);
        batch = undefined;
      }
      if (batch === undefined) {
        batch = { channel, envelopes: [], waiters: [], bytes: 0 };
        this.#openBatches.set(channel, batch);
      }
      batch.envelopes.push(envelope);
      batch.waiters.push({ resolve, reject });
      batch.bytes += envelope.length;
      if (!this.#batchFlushScheduled) {
        this.#batchFlushScheduled = true;
        setImmediate(() => this.#flushBatches());
      }
    });
  }

  #batchEnvelopesMax(): number {
    return Math.max(1, Math.min(SUBMIT_BATCH_ENVELOPES_TARGET, SUBMIT_BATCH_ENVELOPES_MAX, this.#host.settings.submitWaitersMax));
  }

  #batchBytesMax(channel: string): number {
    return Math.min(BATCH_BYTES_TARGET, this.#host.settings.frameBytesMax) - submitFrameOverheadBytes(channel, this.#batchEnvelopesMax());
  }

  /** End of the turn: every open batch is encoded and queued. */
  #flushBatches(): void {
    this.#batchFlushScheduled = false;
    for (const batch of [...this.#openBatches.values()]) this.#sendBatch(batch);
  }

  /** Encodes `batch` as one SubmitBatch frame and queues it (waiting for room if needed); its envelopes await their verdicts. */
  #sendBatch(batch: OpenBatch): void {
    this.#openBatches.delete(batch.channel);
    const count = batch.envelopes.length;
    const unreachable = this.#host.unreachable();
    if (unreachable !== undefined) {
      const error = this.#unavailable(unreachable, count);
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    const firstRequestId = this.#nextRequestId;
    this.#nextRequestId += count;
    const bytes = this.#host.settings.frames.encodeFrame({
      kind: FrameKind.SubmitBatch,
      channel: batch.channel,
      firstRequestId,
      envelopes: batch.envelopes,
    });
    const frame: QueuedFrame = { bytes, channel: batch.channel, lane: 'bulk', consensus: false, snapshot: false, cancelled: false, submits: count };
    const admission = this.#host.queue.pushOrWait(frame);
    if (admission === 'full') {
      const error = this.#unavailable(
        `${this.#host.queue.waiting} forwarded envelopes already wait for room in the send queue to consenter ${this.#host.peer.id} (${this.#host.peer.address})`,
        count,
      );
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    const sent: SentBatch = { frame, firstRequestId, count, timer: undefined, open: count };
    const timeoutMs = this.#host.settings.submitTimeoutMs;
    sent.timer = setTimeout(() => this.#batchTimedOut(sent, timeoutMs), timeoutMs);
    for (let i = 0; i < count; i++) {
      const waiter = batch.waiters[i]!;
      this.#pending.set(firstRequestId + i, { batch: sent, resolve: waiter.resolve, reject: waiter.reject });
    }
    this.#host.kick();
  }

  /** The verdicts of one SubmitResults frame: counted once per frame, not per envelope. */
  settleAll(frame: SubmitResultsFrame): void {
    let accepted = 0;
    for (const [first, count] of frame.accepted) {
      for (let id = first; id < first + count; id++) {
        const pending = this.#take(id);
        if (pending === undefined) continue;
        accepted++;
        pending.resolve();
      }
    }
    let rejected = 0;
    for (const r of frame.rejected) {
      const pending = this.#take(r.requestId);
      if (pending === undefined) continue;
      rejected++;
      pending.reject(new ForwardRejectedError(this.#host.peer.id, r.errorCode, r.errorMessage));
    }
    const { metrics } = this.#host;
    if (accepted > 0) metrics.submitsForwarded.inc({ host: this.#host.peer.address, outcome: 'accepted' }, accepted);
    if (rejected > 0) metrics.submitsForwarded.inc({ host: this.#host.peer.address, outcome: 'rejected' }, rejected);
  }

  settle(requestId: number, errorCode: string, errorMessage: string): void {
    const pending = this.#take(requestId);
    if (pending === undefined) return;
    const { metrics } = this.#host;
    if (errorCode === '') {
      metrics.submitsForwarded.inc({ host: this.#host.peer.address, outcome: 'accepted' });
      pending.resolve();
    } else {
      metrics.submitsForwarded.inc({ host: this.#host.peer.address, outcome: 'rejected' });
      pending.reject(new ForwardRejectedError(this.#host.peer.id, errorCode, errorMessage));
    }
  }

  /**
   * The pending submit of `requestId`, no longer pending; undefined for a
   * verdict after our timeout (the client was already told SERVICE_UNAVAILABLE).
   */
  #take(requestId: number): PendingSubmit | undefined {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return undefined;
    this.#pending.delete(requestId);
    if (--pending.batch.open === 0) clearTimeout(pending.batch.timer);
    return pending;
  }

  #batchTimedOut(batch: SentBatch, timeoutMs: number): void {
    const error = this.#unavailable(
      `consenter ${this.#host.peer.id} (${this.#host.peer.address}) gave no verdict on the forwarded envelope within ${timeoutMs} ms (stream ${this.#host.stateName()})`,
      batch.open,
    );
    for (let id = batch.firstRequestId; id < batch.firstRequestId + batch.count; id++) {
      const pending = this.#pending.get(id);
      if (pending?.batch !== batch) continue;
      this.#pending.delete(id);
      batch.open--;
      pending.reject(error);
    }
    // Not written yet: it never will be. Written: the leader may still order them; the verdicts are lost.
    this.#host.queue.cancel(batch.frame);
  }

  /** Rejects every forwarded envelope without a verdict, queued or open, naming `reason`. */
  failAll(reason: string): void {
    const openBatches = [...this.#openBatches.values()];
    this.#openBatches.clear();
    const unsent = openBatches.reduce((n, b) => n + b.envelopes.length, 0);
    if (this.#pending.size + unsent > 0) {
      const error = this.#unavailable(`${reason}; the forwarded envelope got no verdict`, this.#pending.size + unsent);
      for (const [requestId, pending] of this.#pending) {
        this.#pending.delete(requestId);
        clearTimeout(pending.batch.timer);
        pending.batch.open = 0;
        pending.reject(error);
      }
      for (const batch of openBatches) for (const waiter of batch.waiters) waiter.reject(error);
    }
  }

  /** The refusal of `envelopes` forwarded envelopes (one error object shared by them), counted. */
  #unavailable(message: string, envelopes = 1): ClusterUnavailableError {
    this.#host.metrics.submitsForwarded.inc({ host: this.#host.peer.address, outcome: 'unavailable' }, envelopes);
    return new ClusterUnavailableError(this.#host.peer.id, message);
  }
}
