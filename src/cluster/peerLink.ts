// The outgoing side of the link to one peer: a lazily dialed `Step` stream, a
// bounded send queue in front of it, the forwarded submits awaiting the
// leader's verdict, and reconnection with backoff when the stream breaks.
//
// The link only ever writes; the peer's frames to us (consensus, its own
// forwarded submits) arrive on the stream the peer dials (inbound.ts). The
// one thing read back on this stream is the listener's Welcome and the
// verdicts on our forwarded submits.

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { MessageType, type Message } from '../raft/index.js';
import { OrdererError } from '../errors.js';
import { ReconnectBackoff } from './backoff.js';
import { ClusterUnavailableError, ForwardRejectedError } from './errors.js';
import { CLUSTER_PROTOCOL_VERSION, FrameKind, SUBMIT_BATCH_ENVELOPES_MAX, type Frame, type SubmitResultsFrame } from './frames.js';
import type { DropReason, ClusterMetrics } from './metrics.js';
import type { ClusterSettings, PinnedPeer } from './options.js';
import { SendQueue, type QueuedFrame } from './sendQueue.js';
import { laneOfMessage, type Lane } from './lanes.js';
import { dialStep, tcpProbe, type DialedStream, type StepStream } from './dial.js';

/**
 * Frames queued in one turn of the event loop go out as one gRPC message up
 * to this size (a larger frame goes alone): gRPC's cost is per message.
 */
const BATCH_BYTES_TARGET = 256 * 1024;

/**
 * Envelopes one SubmitBatch frame carries, at most (also at most
 * submitWaitersMax: a batch waits for room as a whole). Forwards of one
 * channel in one event-loop turn share a frame, up to this count and
 * BATCH_BYTES_TARGET of envelope bytes; a larger envelope goes alone.
 */
const SUBMIT_BATCH_ENVELOPES_TARGET = 256;
/** Bytes a SubmitBatch frame adds to its envelopes, at most: the tuple, the channel, the id, 5 per envelope. */
const submitFrameOverheadBytes = (channel: string, envelopes: number): number => 32 + 3 * channel.length + 5 * envelopes;

export enum LinkState {
  /** No stream; the next frame to send dials. */
  Idle = 'idle',
  /** Stream opened and Hello written; waiting for the listener's Welcome. */
  Connecting = 'connecting',
  /** Welcomed: queued frames are being written. */
  Established = 'established',
  /** The last stream broke; frames are refused until the backoff delay ends. */
  BackingOff = 'backing-off',
  Closed = 'closed',
}

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

export interface PeerLinkContext {
  readonly settings: ClusterSettings;
  readonly metrics: ClusterMetrics;
  readonly logger: Logger;
  /** The stream to this peer broke (or could not be established). */
  readonly onBroken: (peer: number) => void;
  /** A MsgSnap to this peer was written to its stream ('finish') or dropped ('failure'). */
  readonly onSnapshotStatus: (channel: string, peer: number, status: 'finish' | 'failure') => void;
  /**
   * The consenter id this node speaks as on this link (its Hello's `from`);
   * default settings.selfId. Another id: a channel that re-added this node
   * under a new Raft id (see GrpcClusterTransport.addLocalId).
   */
  readonly localId?: number;
}

export class PeerLink {
  readonly peer: PinnedPeer;
  readonly #context: PeerLinkContext;
  readonly #log: Logger;
  readonly #queue: SendQueue;
  readonly #backoff: ReconnectBackoff;
  // Invariant: #dialed is set exactly in Connecting and Established.
  #state = LinkState.Idle;
  #dialed: DialedStream | undefined;
  #awaitingDrain = false;
  /** A pump is scheduled for the end of this turn (so the frames queued in it share a gRPC message). */
  #pumpScheduled = false;
  #welcomeTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #lastError = 'not dialed yet';
  /** True between the first queue-full drop and the queue draining, so the warning is logged once. */
  #dropping = false;
  // Invariant: every entry's frame is queued, waiting for room, or written and awaiting its verdict.
  readonly #pending = new Map<number, PendingSubmit>();
  #nextRequestId = 1;
  /** Per channel, the envelopes forwarded in this turn; encoded and queued at its end (setImmediate). */
  readonly #openBatches = new Map<string, OpenBatch>();
  #batchFlushScheduled = false;

  constructor(peer: PinnedPeer, context: PeerLinkContext) {
    this.peer = peer;
    this.#context = context;
    const s = context.settings;
    this.#log = context.logger.child({ peer: peer.id, address: peer.address, ...(context.localId !== undefined && { as: context.localId }) });
    this.#queue = new SendQueue(s.sendQueueFramesMax, s.sendQueueBytesMax, s.submitWaitersMax);
    this.#backoff = new ReconnectBackoff(s.reconnectBackoffMinMs, s.reconnectBackoffMaxMs);
    context.metrics.egressQueueCapacity.set({ host: peer.address }, s.sendQueueFramesMax);
  }

  get state(): LinkState {
    return this.#state;
  }

  get queuedFrames(): number {
    return this.#queue.length;
  }

  /** Queues a Raft message; drops it (counted) when the peer is unreachable or its queue is full. Never waits. */
  sendConsensus(channel: string, message: Message): void {
    const snapshot = message.type === MessageType.MsgSnap;
    const lane = laneOfMessage(message.type);
    if (this.#state === LinkState.Closed) return this.#drop(channel, lane, snapshot, 'closed');
    if (this.#state === LinkState.BackingOff) return this.#drop(channel, lane, snapshot, 'unreachable');
    const bytes = this.#context.settings.frames.encodeFrame({ kind: FrameKind.Consensus, channel, message });
    if (bytes.length > this.#context.settings.frameBytesMax) {
      this.#log.error(
        { channel, frameBytes: bytes.length, frameBytesMax: this.#context.settings.frameBytesMax, type: message.type },
        'consensus message larger than the cluster frame limit dropped: lower the raft max message size or raise frameBytesMax',
      );
      return this.#drop(channel, lane, snapshot, 'too_large');
    }
    if (!this.#queue.tryPush({ bytes, channel, lane, consensus: true, snapshot, cancelled: false })) {
      if (!this.#dropping) {
        this.#dropping = true;
        this.#log.warn(
          { channel, lane, frameBytes: bytes.length, queuedFrames: this.#queue.length, queuedBytes: this.#queue.bytes },
          'send queue full: dropping consensus messages to this peer',
        );
      }
      return this.#drop(channel, lane, snapshot, 'queue_full');
    }
    this.#kick();
  }

  /**
   * Forwards an envelope; resolves on the peer's acceptance, rejects with its
   * rejection or SERVICE_UNAVAILABLE. The envelopes of one channel forwarded
   * in one event-loop turn leave together as one SubmitBatch frame (gRPC and
   * the queue cost per frame); each still gets its own verdict.
   */
  forwardSubmit(channel: string, envelope: Uint8Array): Promise<void> {
    if (this.#state === LinkState.Closed || this.#state === LinkState.BackingOff) {
      return Promise.reject(this.#unavailable(`consenter ${this.peer.id} (${this.peer.address}) is unreachable: ${this.#lastError}`));
    }
    const frameBytesMax = this.#context.settings.frameBytesMax;
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
    return Math.max(1, Math.min(SUBMIT_BATCH_ENVELOPES_TARGET, SUBMIT_BATCH_ENVELOPES_MAX, this.#context.settings.submitWaitersMax));
  }

  #batchBytesMax(channel: string): number {
    return Math.min(BATCH_BYTES_TARGET, this.#context.settings.frameBytesMax) - submitFrameOverheadBytes(channel, this.#batchEnvelopesMax());
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
    if (this.#state === LinkState.Closed || this.#state === LinkState.BackingOff) {
      const error = this.#unavailable(`consenter ${this.peer.id} (${this.peer.address}) is unreachable: ${this.#lastError}`, count);
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    const firstRequestId = this.#nextRequestId;
    this.#nextRequestId += count;
    const bytes = this.#context.settings.frames.encodeFrame({
      kind: FrameKind.SubmitBatch,
      channel: batch.channel,
      firstRequestId,
      envelopes: batch.envelopes,
    });
    const frame: QueuedFrame = { bytes, channel: batch.channel, lane: 'bulk', consensus: false, snapshot: false, cancelled: false, submits: count };
    const admission = this.#queue.pushOrWait(frame);
    if (admission === 'full') {
      const error = this.#unavailable(
        `${this.#queue.waiting} forwarded envelopes already wait for room in the send queue to consenter ${this.peer.id} (${this.peer.address})`,
        count,
      );
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    const sent: SentBatch = { frame, firstRequestId, count, timer: undefined, open: count };
    const timeoutMs = this.#context.settings.submitTimeoutMs;
    sent.timer = setTimeout(() => this.#batchTimedOut(sent, timeoutMs), timeoutMs);
    for (let i = 0; i < count; i++) {
      const waiter = batch.waiters[i]!;
      this.#pending.set(firstRequestId + i, { batch: sent, resolve: waiter.resolve, reject: waiter.reject });
    }
    this.#kick();
  }

  /**
   * The peer just dialed us (it restarted or its network healed): a link
   * waiting out its back-off may dial at the next send instead of up to
   * reconnectBackoffMaxMs later, so the peer hears from us (e.g. the leader's
   * heartbeats) as soon as it can.
   */
  peerIsUp(): void {
    if (this.#state !== LinkState.BackingOff) return;
    clearTimeout(this.#retryTimer);
    this.#backoff.reset();
    this.#state = LinkState.Idle;
  }

  /**
   * Dials now if no stream is up or being set up, cutting a backoff delay
   * short: the chain asks once after the stream to its leader broke, to tell a
   * dead peer (a TCP connect refused: onBroken again, within a millisecond on
   * a LAN) from a reset stream (the dial that follows establishes it again).
   */
  probe(): void {
    if (this.#state !== LinkState.BackingOff && this.#state !== LinkState.Idle) return;
    tcpProbe(this.peer.address, (result) => {
      if (this.#state !== LinkState.BackingOff && this.#state !== LinkState.Idle) return;
      if (result === 'refused') {
        this.#lastError = `nothing listens at ${this.peer.address} (connection refused)`;
        this.#log.debug('probe: connection refused');
        this.#context.onBroken(this.peer.id);
        return;
      }
      if (this.#state === LinkState.BackingOff) {
        clearTimeout(this.#retryTimer);
        this.#state = LinkState.Idle;
      }
      this.#dial();
    });
  }

  /** Ends the stream and refuses everything still queued or pending. Idempotent. */
  close(reason: string): void {
    if (this.#state === LinkState.Closed) return;
    if (this.#state === LinkState.Established) this.#context.metrics.egressStreams.dec();
    this.#teardownStream();
    clearTimeout(this.#retryTimer);
    this.#state = LinkState.Closed;
    this.#failQueued(reason, 'closed');
    this.#context.metrics.egressQueueLength.remove({ host: this.peer.address });
    this.#context.metrics.egressQueueCapacity.remove({ host: this.peer.address });
  }

  #kick(): void {
    if (this.#state === LinkState.Idle) this.#dial();
    else if (this.#state === LinkState.Established) this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #dial(): void {
    assert.equal(this.#state, LinkState.Idle, 'dial only from Idle');
    const { settings } = this.#context;
    this.#state = LinkState.Connecting;
    const dialed = dialStep(this.peer, settings);
    const call = dialed.call;
    this.#dialed = dialed;
    call.on('data', (bytes: Buffer) => this.#onData(call, bytes));
    call.on('error', (error: grpc.ServiceError) => this.#onStreamError(call, error));
    // A non-OK status arrives as 'error' (with the listener's reason); an OK one only as 'status'.
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) this.#broke(call, 'the peer ended the stream');
    });
    call.write(
      settings.frames.encodeFrame({
        kind: FrameKind.Hello,
        protocolVersion: CLUSTER_PROTOCOL_VERSION,
        from: this.#context.localId ?? settings.selfId,
        to: this.peer.id,
      }),
    );
    this.#welcomeTimer = setTimeout(() => this.#broke(call, `no Welcome within ${settings.submitTimeoutMs} ms`), settings.submitTimeoutMs);
  }

  #onData(call: StepStream, bytes: Buffer): void {
    if (call !== this.#dialed?.call) return;
    let frames: Frame[];
    try {
      frames = this.#context.settings.frames.decodeFrames(bytes);
    } catch (error) {
      this.#broke(call, `the peer sent a bad frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (call !== this.#dialed?.call) return;
      this.#onFrame(call, frame);
    }
  }

  #onFrame(call: StepStream, frame: Frame): void {
    if (frame.kind === FrameKind.Welcome && this.#state === LinkState.Connecting) {
      clearTimeout(this.#welcomeTimer);
      this.#state = LinkState.Established;
      this.#backoff.reset();
      this.#context.metrics.egressStreams.inc();
      this.#log.info('stream to peer established');
      this.#pump();
    } else if (frame.kind === FrameKind.SubmitResults && this.#state === LinkState.Established) {
      this.#settleAll(frame);
    } else if (frame.kind === FrameKind.SubmitResult && this.#state === LinkState.Established) {
      this.#settle(frame.requestId, frame.errorCode, frame.errorMessage);
    } else {
      this.#broke(call, `the peer sent an unexpected frame (kind ${frame.kind}) in state ${this.#state}`);
    }
  }

  /** The verdicts of one SubmitResults frame: counted once per frame, not per envelope. */
  #settleAll(frame: SubmitResultsFrame): void {
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
      pending.reject(new ForwardRejectedError(this.peer.id, r.errorCode, r.errorMessage));
    }
    const { metrics } = this.#context;
    if (accepted > 0) metrics.submitsForwarded.inc({ host: this.peer.address, outcome: 'accepted' }, accepted);
    if (rejected > 0) metrics.submitsForwarded.inc({ host: this.peer.address, outcome: 'rejected' }, rejected);
  }

  #settle(requestId: number, errorCode: string, errorMessage: string): void {
    const pending = this.#take(requestId);
    if (pending === undefined) return;
    const { metrics } = this.#context;
    if (errorCode === '') {
      metrics.submitsForwarded.inc({ host: this.peer.address, outcome: 'accepted' });
      pending.resolve();
    } else {
      metrics.submitsForwarded.inc({ host: this.peer.address, outcome: 'rejected' });
      pending.reject(new ForwardRejectedError(this.peer.id, errorCode, errorMessage));
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
      `consenter ${this.peer.id} (${this.peer.address}) gave no verdict on the forwarded envelope within ${timeoutMs} ms (stream ${this.#state})`,
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
    this.#queue.cancel(batch.frame);
  }

  #pump(): void {
    const call = this.#dialed?.call;
    if (this.#state !== LinkState.Established || this.#awaitingDrain || call === undefined) return;
    const batchBytesMax = Math.min(BATCH_BYTES_TARGET, this.#context.settings.frameBytesMax);
    for (let first = this.#queue.shift(); first !== undefined; first = this.#queue.shift()) {
      const batch = [first];
      let bytes = first.bytes.length;
      for (let next = this.#queue.shift(batchBytesMax - bytes); next !== undefined; next = this.#queue.shift(batchBytesMax - bytes)) {
        batch.push(next);
        bytes += next.bytes.length;
      }
      const writable = call.write(
        batch.length === 1
          ? first.bytes
          : Buffer.concat(
              batch.map((f) => f.bytes),
              bytes,
            ),
      );
      // Handed to the stream counts as sent (as Fabric): if it is lost after all, the
      // leader's probe that follows 'finish' is rejected and the snapshot sent again.
      for (const frame of batch) if (frame.snapshot) this.#context.onSnapshotStatus(frame.channel, this.peer.id, 'finish');
      if (!writable) {
        this.#awaitingDrain = true;
        call.once('drain', () => {
          if (call !== this.#dialed?.call) return;
          this.#awaitingDrain = false;
          this.#pump();
        });
        break;
      }
    }
    if (this.#dropping && this.#queue.length === 0) {
      this.#dropping = false;
      this.#log.info('send queue drained: consensus messages flow to this peer again');
    }
    this.#context.metrics.egressQueueLength.set({ host: this.peer.address }, this.#queue.length);
  }

  #onStreamError(call: StepStream, error: grpc.ServiceError): void {
    if (call !== this.#dialed?.call) return;
    const refusedByPeer = error.code === grpc.status.PERMISSION_DENIED || error.code === grpc.status.UNAUTHENTICATED;
    if (refusedByPeer) this.#context.metrics.streamsRefused.inc({ direction: 'egress', reason: 'refused_by_peer' });
    this.#broke(call, refusedByPeer ? `the peer refused us: ${error.details}` : `${grpc.status[error.code] ?? error.code}: ${error.details}`);
  }

  /** The current stream is gone: refuse what waited on it, back off, tell the chains. */
  #broke(call: StepStream, reason: string): void {
    if (call !== this.#dialed?.call) return;
    const wasEstablished = this.#state === LinkState.Established;
    if (wasEstablished) this.#context.metrics.egressStreams.dec();
    const refusal = this.#dialed?.refusal();
    this.#teardownStream();
    this.#lastError = refusal === undefined ? reason : `refused: ${refusal}`;
    const delayMs = this.#backoff.nextDelayMs();
    if (refusal !== undefined) {
      this.#context.metrics.streamsRefused.inc({ direction: 'egress', reason: 'pin_mismatch' });
      this.#log.error({ retryInMs: delayMs }, `refused the stream to consenter ${this.peer.id} at ${this.peer.address}: ${refusal}`);
    } else if (wasEstablished || this.#backoff.failures === 1) {
      this.#log.warn(
        { retryInMs: delayMs, failures: this.#backoff.failures },
        `stream to consenter ${this.peer.id} at ${this.peer.address} ${wasEstablished ? 'broke' : 'failed'}: ${reason}`,
      );
    } else {
      this.#log.debug({ retryInMs: delayMs, failures: this.#backoff.failures }, `stream to consenter ${this.peer.id} still failing: ${reason}`);
    }
    this.#state = LinkState.BackingOff;
    this.#failQueued(`the stream to consenter ${this.peer.id} (${this.peer.address}) broke: ${this.#lastError}`, 'stream_broke');
    this.#retryTimer = setTimeout(() => {
      if (this.#state === LinkState.BackingOff) this.#state = LinkState.Idle;
    }, delayMs);
    this.#context.onBroken(this.peer.id);
  }

  #teardownStream(): void {
    clearTimeout(this.#welcomeTimer);
    const dialed = this.#dialed;
    // Cleared first: the listeners still attached see a stale call and ignore what cancel() emits.
    this.#dialed = undefined;
    this.#awaitingDrain = false;
    dialed?.call.cancel();
    dialed?.client.close();
  }

  /** Drops queued consensus frames (counted) and rejects every pending submit. */
  #failQueued(reason: string, dropReason: DropReason): void {
    for (const frame of this.#queue.clear()) {
      if (frame.consensus) this.#drop(frame.channel, frame.lane, frame.snapshot, dropReason);
    }
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
    this.#dropping = false;
    this.#context.metrics.egressQueueLength.set({ host: this.peer.address }, 0);
  }

  #drop(channel: string, lane: Lane, snapshot: boolean, reason: DropReason): void {
    this.#context.metrics.msgDropped.inc({ host: this.peer.address, channel, lane, reason });
    if (snapshot) this.#context.onSnapshotStatus(channel, this.peer.id, 'failure');
  }

  /** The refusal of `envelopes` forwarded envelopes (one error object shared by them), counted. */
  #unavailable(message: string, envelopes = 1): ClusterUnavailableError {
    this.#context.metrics.submitsForwarded.inc({ host: this.peer.address, outcome: 'unavailable' }, envelopes);
    return new ClusterUnavailableError(this.peer.id, message);
  }
}
