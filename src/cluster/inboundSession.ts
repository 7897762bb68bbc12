// One authenticated inbound `Step` stream (inbound.ts admits it): its frames
// dispatched to the channels that pin the stream's certificate for its
// consenter id (each channel numbers its consenters itself: peerDirectory.ts)
// (consensus messages; forwarded submits, a
// SubmitBatch in one call when the channel takes batches), within a bound of
// submits in flight, and their verdicts written back together once per turn.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { OrdererError } from '../errors.js';
import { ERROR_MESSAGE_CHARS_MAX, FrameKind, SUBMIT_RESULTS_ITEMS_MAX, type Frame, type SubmitRejection } from './frames.js';
import type { ClusterMetrics } from './metrics.js';
import type { ClusterSettings } from './options.js';
import type { PeerDirectory } from './peerDirectory.js';
import { keyFingerprint } from './pinning.js';
import type { ClusterChannelHandler } from './types.js';

export type StepCall = grpc.ServerDuplexStream<Buffer, Buffer>;

/** What the listening side needs of the node (inbound.ts), and each admitted stream of it. */
export interface InboundContext {
  readonly settings: ClusterSettings;
  readonly metrics: ClusterMetrics;
  readonly logger: Logger;
  /** The consenters as currently configured, per channel (changes with updatePeers, setChannelPeers). */
  readonly directory: PeerDirectory;
  /** True for settings.selfId and for any other id this node answers to (GrpcClusterTransport.addLocalId). */
  readonly isLocalId: (id: number) => boolean;
  readonly handler: (channel: string) => ClusterChannelHandler | undefined;
  /** A peer's stream was accepted (its certificate's public key): it is up (e.g. restarted), so a link backing off from it may dial at once. */
  readonly peerAdmitted?: (key: Buffer) => void;
}

/** One authenticated inbound stream: dispatches its frames to the channels. */
export class InboundSession {
  /** Invariant: 0 <= #submitsInFlight <= settings.inboundSubmitsMax. */
  #submitsInFlight = 0;
  /**
   * Verdicts settled in this turn of the event loop, written together as one
   * gRPC message at its end: to a protocol-1 dialer one SubmitResult frame
   * each (#verdicts), to a later one a single SubmitResults frame (#accepted,
   * #rejected). Invariant: together at most inboundSubmitsMax + the refusals
   * of one received message (each answers a submit of it).
   */
  #verdicts: Buffer[] = [];
  /** Accepted request ids, in the order their verdicts settled. */
  #accepted: number[] = [];
  #rejected: SubmitRejection[] = [];
  #flushScheduled = false;
  /** Set once this side ended the stream: frames still arriving are ignored. */
  #ended = false;
  #unknownChannelsLogged = new Set<string>();
  /** Channels whose frames were refused (not pinning this stream's key for its id), logged once each. */
  #refusedChannelsLogged = new Set<string>();

  constructor(
    readonly call: StepCall,
    readonly peer: number,
    /** The public key of the certificate the stream was authenticated with. */
    readonly peerKey: Buffer,
    /** The id of ours the peer addressed in its Hello: its consensus messages must be to it. */
    readonly local: number,
    /** The protocol version of the peer's Hello: how verdicts are answered. */
    readonly protocolVersion: number,
    readonly context: InboundContext,
    readonly log: Logger,
  ) {}

  onMessage(bytes: Buffer): void {
    if (this.#ended) return;
    let frames: Frame[];
    try {
      frames = this.context.settings.frames.decodeFrames(bytes);
    } catch (error) {
      this.#end(grpc.status.INVALID_ARGUMENT, `bad frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.#ended) return;
      if (frame.kind === FrameKind.Consensus) this.#consensus(frame.channel, frame.message);
      else if (frame.kind === FrameKind.SubmitBatch) this.#submitBatch(frame.channel, frame.firstRequestId, frame.envelopes);
      else if (frame.kind === FrameKind.Submit) this.#submit(frame.channel, frame.requestId, frame.envelope);
      else this.#end(grpc.status.INVALID_ARGUMENT, `unexpected frame of kind ${frame.kind} after Hello`);
    }
  }

  #consensus(channel: string, message: Extract<Frame, { kind: FrameKind.Consensus }>['message']): void {
    if (message.from !== this.peer || message.to !== this.local) {
      // Authenticated as `peer`, it may only speak for itself, to the id of ours it said Hello to.
      this.#end(
        grpc.status.PERMISSION_DENIED,
        `consensus message from ${message.from} to ${message.to} on the stream of consenter ${this.peer} to ${this.local}`,
      );
      return;
    }
    const handler = this.#handlerOf(channel);
    if (handler === undefined || !this.#pinnedOn(channel)) return;
    try {
      handler.onConsensus(this.peer, message);
    } catch (error) {
      // A chain bug must not take the peer's stream (and every other channel on it) down.
      this.log.error({ channel, err: error }, 'channel handler threw on a consensus message');
    }
  }

  #submit(channel: string, requestId: number, envelope: Uint8Array): void {
    const { inboundSubmitsMax } = this.context.settings;
    if (this.#submitsInFlight >= inboundSubmitsMax) {
      this.#refuseOverBound(requestId);
      return;
    }
    const handler = this.#handlerOf(channel);
    if (handler === undefined) {
      this.#answer(requestId, 'NOT_FOUND', `channel "${channel}" is not served by consenter ${this.context.settings.selfId}`);
      return;
    }
    if (!this.#pinnedOn(channel)) {
      this.#answer(requestId, 'FORBIDDEN', this.#notPinned(channel));
      return;
    }
    this.#submitsInFlight++;
    let verdict: Promise<void>;
    try {
      verdict = handler.onSubmit(this.peer, envelope);
    } catch (error) {
      verdict = Promise.reject(error);
    }
    verdict.then(
      () => {
        this.#submitsInFlight--;
        this.#answer(requestId, '', '');
      },
      (error: unknown) => {
        this.#submitsInFlight--;
        this.#answerOutcome(channel, requestId, error ?? new Error('submit failed'));
      },
    );
  }

  /** A SubmitBatch: one call (and promise) for the envelopes within the in-flight bound when the channel takes them together. */
  #submitBatch(channel: string, firstRequestId: number, envelopes: readonly Uint8Array[]): void {
    // Refused (unknown channel, not pinned there) envelope by envelope, in #submit.
    const handler = this.context.directory.pins(channel, this.peer, this.peerKey) ? this.#handlerOf(channel) : undefined;
    if (handler?.onSubmitAll === undefined) {
      for (let i = 0; i < envelopes.length && !this.#ended; i++) this.#submit(channel, firstRequestId + i, envelopes[i]!);
      return;
    }
    const admitted = Math.max(0, Math.min(envelopes.length, this.context.settings.inboundSubmitsMax - this.#submitsInFlight));
    for (let i = admitted; i < envelopes.length; i++) this.#refuseOverBound(firstRequestId + i);
    if (admitted === 0) return;
    this.#submitsInFlight += admitted;
    let outcomes: Promise<unknown[]>;
    try {
      outcomes = handler.onSubmitAll(this.peer, admitted === envelopes.length ? envelopes : envelopes.slice(0, admitted));
    } catch (error) {
      outcomes = Promise.reject(error);
    }
    outcomes.then(
      (results) => {
        this.#submitsInFlight -= admitted;
        for (let i = 0; i < admitted; i++) this.#answerOutcome(channel, firstRequestId + i, results[i]);
      },
      (error: unknown) => {
        // The contract says it never rejects: a chain bug answers the batch, it does not take the stream down.
        this.#submitsInFlight -= admitted;
        for (let i = 0; i < admitted; i++) this.#answerOutcome(channel, firstRequestId + i, error ?? new Error('submit failed'));
      },
    );
  }

  #refuseOverBound(requestId: number): void {
    const { inboundSubmitsMax, selfId } = this.context.settings;
    this.#answer(
      requestId,
      'SERVICE_UNAVAILABLE',
      `consenter ${selfId} already has ${inboundSubmitsMax} envelopes forwarded by consenter ${this.peer} in flight`,
    );
  }

  /** The verdict of a forwarded submit: accepted (undefined) or the error it was refused with. */
  #answerOutcome(channel: string, requestId: number, refusal: unknown): void {
    if (refusal === undefined) {
      this.#answer(requestId, '', '');
      return;
    }
    const code = refusal instanceof OrdererError ? refusal.code : 'INTERNAL_SERVER_ERROR';
    if (!(refusal instanceof OrdererError)) this.log.error({ channel, err: refusal }, 'channel handler failed a forwarded submit with a non-OrdererError');
    this.#answer(requestId, code, refusal instanceof Error ? refusal.message : String(refusal));
  }

  /**
   * True when `channel` pins this stream's certificate for its consenter id.
   * Else the frame is refused (the stream carries other channels, so it stays
   * up): logged once per channel and counted.
   */
  #pinnedOn(channel: string): boolean {
    if (this.context.directory.pins(channel, this.peer, this.peerKey)) return true;
    this.context.metrics.framesRefused.inc({ channel, reason: 'not_pinned_on_channel' });
    if (!this.#refusedChannelsLogged.has(channel) && this.#refusedChannelsLogged.size < 16) {
      this.#refusedChannelsLogged.add(channel);
      this.log.error({ channel }, `frames of channel "${channel}" refused: ${this.#notPinned(channel)}`);
    }
    return false;
  }

  #notPinned(channel: string): string {
    const pinned = this.context.directory.peerOf(channel, this.peer);
    return `the stream's TLS certificate (key sha256 ${keyFingerprint(this.peerKey)}) is not that of consenter ${this.peer} of channel "${channel}" (${pinned === undefined ? 'no such consenter there' : `pinned key sha256 ${keyFingerprint(pinned.pinnedKey)}`})`;
  }

  #handlerOf(channel: string): ClusterChannelHandler | undefined {
    const handler = this.context.handler(channel);
    if (handler === undefined && !this.#unknownChannelsLogged.has(channel) && this.#unknownChannelsLogged.size < 16) {
      // Normal while a channel is being created on this node; logged once per channel and stream.
      this.#unknownChannelsLogged.add(channel);
      this.log.info({ channel }, 'frames for a channel this node does not serve (yet) are dropped');
    }
    return handler;
  }

  #answer(requestId: number, errorCode: string, errorMessage: string): void {
    if (this.#ended) return;
    const message = errorMessage.length > ERROR_MESSAGE_CHARS_MAX ? errorMessage.slice(0, ERROR_MESSAGE_CHARS_MAX) : errorMessage;
    if (this.protocolVersion < 2) {
      this.#verdicts.push(
        this.context.settings.frames.encodeFrame({ kind: FrameKind.SubmitResult, requestId, errorCode: errorCode.slice(0, 64), errorMessage: message }),
      );
    } else if (errorCode === '') {
      this.#accepted.push(requestId);
    } else {
      this.#rejected.push({ requestId, errorCode: errorCode.slice(0, 64), errorMessage: message });
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flushVerdicts());
    }
  }

  #flushVerdicts(): void {
    this.#flushScheduled = false;
    const verdicts = this.#verdicts;
    const accepted = this.#accepted;
    const rejected = this.#rejected;
    this.#verdicts = [];
    this.#accepted = [];
    this.#rejected = [];
    // The dialer gave up on the stream: its submits were failed on its side already.
    if (this.#ended || this.call.destroyed || this.call.writableEnded) return;
    const ranges = idRanges(accepted);
    // Each list of a frame within the decoder's bound (a turn holds at most inboundSubmitsMax verdicts, which may be set higher).
    for (let at = 0; at < Math.max(ranges.length, rejected.length); at += SUBMIT_RESULTS_ITEMS_MAX) {
      const frame = { accepted: ranges.slice(at, at + SUBMIT_RESULTS_ITEMS_MAX), rejected: rejected.slice(at, at + SUBMIT_RESULTS_ITEMS_MAX) };
      verdicts.push(this.context.settings.frames.encodeFrame({ kind: FrameKind.SubmitResults, ...frame }));
    }
    this.call.write(verdicts.length === 1 ? verdicts[0]! : Buffer.concat(verdicts));
  }

  #end(status: grpc.status, details: string): void {
    this.#ended = true;
    this.log.error({ status: grpc.status[status] }, `ending the inbound stream of consenter ${this.peer}: ${details}`);
    this.call.emit('error', { code: status, details });
  }
}

/** Request ids as [first, count] runs of consecutive ids, in the order given (verdicts settle mostly in request order). */
function idRanges(ids: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  let range: [number, number] | undefined;
  for (const id of ids) {
    if (range !== undefined && id === range[0] + range[1]) range[1]++;
    else {
      range = [id, 1];
      ranges.push(range);
    }
  }
  return ranges;
}
