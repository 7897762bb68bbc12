// The outgoing side of the link to one peer: a lazily dialed `Step` stream, a
// bounded send queue in front of it, the forwarded submits awaiting the
// leader's verdict (forwardedSubmits.ts), and reconnection with backoff when the stream breaks.
//
// The link only ever writes; the peer's frames to us (consensus, its own
// forwarded submits) arrive on the stream the peer dials (inbound.ts). The
// one thing read back on this stream is the listener's Welcome and the
// verdicts on our forwarded submits.

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { MessageType, type Message } from '../raft/index.js';
import { ReconnectBackoff } from './backoff.js';
import { CLUSTER_PROTOCOL_VERSION, FrameKind, type Frame } from './frames.js';
import { BATCH_BYTES_TARGET, ForwardedSubmits } from './forwardedSubmits.js';
import type { DropReason, ClusterMetrics } from './metrics.js';
import type { ClusterSettings, PinnedPeer } from './options.js';
import { SendQueue } from './sendQueue.js';
import { laneOfMessage, type Lane } from './lanes.js';
import { dialStep, GRPC_OK, tcpProbe, type DialedStream } from './dial.js';
import { consensusFramePieces } from './framePieces.js';

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

export interface PeerLinkContext {
  readonly settings: ClusterSettings;
  readonly metrics: ClusterMetrics;
  readonly logger: Logger;
  /** The stream to this peer broke (or could not be established). */
  readonly onBroken: (peer: number) => void;
  /** A MsgSnap to this peer was written to its stream ('finish') or dropped ('failure'). */
  readonly onSnapshotStatus: (channel: string, peer: number, status: 'finish' | 'failure') => void;
  /** The peer ended the stream PERMISSION_DENIED (it does not take this node as `localId`, or itself as `peer`), after onBroken. */
  readonly onRefused?: (peer: number, reason: string) => void;
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
  readonly #submits: ForwardedSubmits;

  constructor(peer: PinnedPeer, context: PeerLinkContext) {
    this.peer = peer;
    this.#context = context;
    const s = context.settings;
    this.#log = context.logger.child({ peer: peer.id, address: peer.address, ...(context.localId !== undefined && { as: context.localId }) });
    this.#queue = new SendQueue(s.sendQueueFramesMax, s.sendQueueBytesMax, s.submitWaitersMax);
    this.#backoff = new ReconnectBackoff(s.reconnectBackoffMinMs, s.reconnectBackoffMaxMs);
    context.metrics.egressQueueCapacity.set({ host: peer.address }, s.sendQueueFramesMax);
    const queue = this.#queue;
    this.#submits = new ForwardedSubmits({
      peer,
      settings: s,
      metrics: context.metrics,
      queue,
      unreachable: () =>
        this.#state === LinkState.Closed || this.#state === LinkState.BackingOff
          ? `consenter ${peer.id} (${peer.address}) is unreachable: ${this.#lastError}`
          : undefined,
      stateName: () => this.#state,
      kick: () => this.#kick(),
    });
  }

  get state(): LinkState {
    return this.#state;
  }

  get queuedFrames(): number {
    return this.#queue.length;
  }

  /** Bytes of the frames queued (both lanes): the queue is bounded in bytes as well as in frames. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Queues a Raft message; drops it (counted) when the peer is unreachable or its queue is full. Never waits. */
  sendConsensus(channel: string, message: Message): void {
    const snapshot = message.type === MessageType.MsgSnap;
    const lane = laneOfMessage(message.type);
    if (this.#state === LinkState.Closed) return this.#drop(channel, lane, snapshot, 'closed');
    if (this.#state === LinkState.BackingOff) return this.#drop(channel, lane, snapshot, 'unreachable');
    // A block-sized entry is not copied into the frame: its pieces are written as they are (framePieces.ts).
    const bytes = consensusFramePieces(channel, message) ?? this.#context.settings.frames.encodeFrame({ kind: FrameKind.Consensus, channel, message });
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
   * rejection or SERVICE_UNAVAILABLE (see forwardedSubmits.ts).
   */
  forwardSubmit(channel: string, envelope: Uint8Array): Promise<void> {
    return this.#submits.forward(channel, envelope);
  }

  /**
   * The peer just dialed us (it started, restarted or its network healed): a
   * link waiting out its back-off or idle dials it now instead of at the next
   * send up to reconnectBackoffMaxMs later, so the peer hears from us (the
   * leader's heartbeats, a survivor's PreVote) as soon as it can.
   */
  peerIsUp(): void {
    if (this.#state === LinkState.BackingOff) {
      clearTimeout(this.#retryTimer);
      this.#backoff.reset();
      this.#state = LinkState.Idle;
    }
    // Dialed back at once, not at the next send: two followers exchange
    // nothing until one of them campaigns, and that PreVote must not wait for
    // a TLS handshake in each direction.
    if (this.#state === LinkState.Idle) this.#dial();
  }

  /** The consenter id this node speaks as on this link. */
  get localId(): number {
    return this.#context.localId ?? this.#context.settings.selfId;
  }

  /** Dials if no stream is up or being set up; the transport warms every link at start so no Raft message waits for a handshake. */
  connect(): void {
    if (this.#state === LinkState.Idle) this.#dial();
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
    // The handlers compare against #dialed: a stream torn down meanwhile is stale and ignored.
    const dialed: DialedStream = dialStep(this.peer, settings, {
      message: (bytes) => this.#onData(dialed, bytes),
      ended: (code, details) => this.#onEnded(dialed, code, details),
    });
    this.#dialed = dialed;
    dialed.call.write([
      settings.frames.encodeFrame({
        kind: FrameKind.Hello,
        protocolVersion: CLUSTER_PROTOCOL_VERSION,
        from: this.#context.localId ?? settings.selfId,
        to: this.peer.id,
      }),
    ]);
    this.#welcomeTimer = setTimeout(() => this.#broke(dialed, `no Welcome within ${settings.submitTimeoutMs} ms`), settings.submitTimeoutMs);
  }

  #onData(call: DialedStream, bytes: Buffer): void {
    if (call !== this.#dialed) return;
    let frames: Frame[];
    try {
      frames = this.#context.settings.frames.decodeFrames(bytes);
    } catch (error) {
      this.#broke(call, `the peer sent a bad frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (call !== this.#dialed) return;
      this.#onFrame(call, frame);
    }
  }

  #onFrame(call: DialedStream, frame: Frame): void {
    if (frame.kind === FrameKind.Welcome && this.#state === LinkState.Connecting) {
      clearTimeout(this.#welcomeTimer);
      this.#state = LinkState.Established;
      this.#backoff.reset();
      this.#context.metrics.egressStreams.inc();
      this.#log.info('stream to peer established');
      this.#pump();
    } else if (frame.kind === FrameKind.SubmitResults && this.#state === LinkState.Established) {
      this.#submits.settleAll(frame);
    } else if (frame.kind === FrameKind.SubmitResult && this.#state === LinkState.Established) {
      this.#submits.settle(frame.requestId, frame.errorCode, frame.errorMessage);
    } else {
      this.#broke(call, `the peer sent an unexpected frame (kind ${frame.kind}) in state ${this.#state}`);
    }
  }

  #pump(): void {
    const dialed = this.#dialed;
    if (this.#state !== LinkState.Established || this.#awaitingDrain || dialed === undefined) return;
    const batchBytesMax = Math.min(BATCH_BYTES_TARGET, this.#context.settings.frameBytesMax);
    for (let first = this.#queue.shift(); first !== undefined; first = this.#queue.shift()) {
      const batch = [first];
      let bytes = first.bytes.length;
      for (let next = this.#queue.shift(batchBytesMax - bytes); next !== undefined; next = this.#queue.shift(batchBytesMax - bytes)) {
        batch.push(next);
        bytes += next.bytes.length;
      }
      // One gRPC message of the frames back to back, written without joining them.
      const writable = dialed.call.write(batch.map((f) => f.bytes));
      // Handed to the stream counts as sent (as Fabric): if it is lost after all, the
      // leader's probe that follows 'finish' is rejected and the snapshot sent again.
      for (const frame of batch) if (frame.snapshot) this.#context.onSnapshotStatus(frame.channel, this.peer.id, 'finish');
      if (!writable) {
        this.#awaitingDrain = true;
        dialed.call.onceDrain(() => {
          if (dialed !== this.#dialed) return;
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

  #onEnded(call: DialedStream, code: number, details: string): void {
    if (call !== this.#dialed) return;
    if (code === GRPC_OK) return this.#broke(call, 'the peer ended the stream');
    const refusedByPeer = code === grpc.status.PERMISSION_DENIED || code === grpc.status.UNAUTHENTICATED;
    if (refusedByPeer) this.#context.metrics.streamsRefused.inc({ direction: 'egress', reason: 'refused_by_peer' });
    this.#broke(call, refusedByPeer ? `the peer refused us: ${details}` : `${grpc.status[code] ?? code}: ${details}`);
    if (code === grpc.status.PERMISSION_DENIED) this.#context.onRefused?.(this.peer.id, details);
  }

  /** The current stream is gone: refuse what waited on it, back off, tell the chains. */
  #broke(call: DialedStream, reason: string): void {
    if (call !== this.#dialed) return;
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
    dialed?.call.close();
  }

  /** Drops queued consensus frames (counted) and rejects every pending submit. */
  #failQueued(reason: string, dropReason: DropReason): void {
    for (const frame of this.#queue.clear()) {
      if (frame.consensus) this.#drop(frame.channel, frame.lane, frame.snapshot, dropReason);
    }
    this.#submits.failAll(reason);
    this.#dropping = false;
    this.#context.metrics.egressQueueLength.set({ host: this.peer.address }, 0);
  }

  #drop(channel: string, lane: Lane, snapshot: boolean, reason: DropReason): void {
    this.#context.metrics.msgDropped.inc({ host: this.peer.address, channel, lane, reason });
    if (snapshot) this.#context.onSnapshotStatus(channel, this.peer.id, 'failure');
  }
}
