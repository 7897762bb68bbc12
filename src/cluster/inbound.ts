// The listening side: `Step` streams other consenters dial to us. A stream
// is authenticated by its first frame (Hello: "I am consenter N") checked
// against the public key pinned for N and the certificate presented on the
// TLS connection; then it carries N's consensus messages and forwarded
// submits to our chains, and our verdicts back.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { OrdererError } from '../errors.js';
import type { ClusterChannelHandler } from './types.js';
import {
  CLUSTER_PROTOCOL_VERSION,
  CLUSTER_PROTOCOL_VERSIONS_ACCEPTED,
  ERROR_MESSAGE_CHARS_MAX,
  FrameKind,
  SUBMIT_RESULTS_ITEMS_MAX,
  type Frame,
  type HelloFrame,
  type SubmitRejection,
} from './frames.js';
import type { ClusterMetrics } from './metrics.js';
import type { ClusterSettings, PinnedPeer } from './options.js';
import { keyFingerprint, publicKeyOfCertificate } from './pinning.js';

type StepCall = grpc.ServerDuplexStream<Buffer, Buffer>;

/** Streams that have not said Hello yet, at most (a bound against idle connections holding memory). */
const HANDSHAKES_MAX = 64;

export interface InboundContext {
  readonly settings: ClusterSettings;
  readonly metrics: ClusterMetrics;
  readonly logger: Logger;
  /** The consenters as currently configured (changes with updatePeers). */
  readonly peers: () => ReadonlyMap<number, PinnedPeer>;
  /** True for settings.selfId and for any other id this node answers to (GrpcClusterTransport.addLocalId). */
  readonly isLocalId: (id: number) => boolean;
  readonly handler: (channel: string) => ClusterChannelHandler | undefined;
  /** A peer's stream was accepted: it is up (e.g. restarted), so a link backing off from it may dial at once. */
  readonly peerAdmitted?: (peerId: number) => void;
}

class Refusal extends Error {
  constructor(
    readonly status: grpc.status,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class InboundStreams {
  readonly #context: InboundContext;
  // Invariant: a call is in #handshakes until its Hello is judged, then in #accepted if accepted.
  readonly #handshakes = new Set<StepCall>();
  /**
   * The one accepted stream of each (peer, local id) pair, keyed by streamKey;
   * a newer one supersedes it. A peer has one stream per id of ours it talks
   * to (usually just selfId).
   */
  readonly #accepted = new Map<string, { readonly call: StepCall; readonly peer: number }>();

  constructor(context: InboundContext) {
    this.#context = context;
  }

  /** Handler of the `Step` method. */
  readonly accept = (call: StepCall): void => {
    const remote = call.getPeer();
    if (this.#handshakes.size >= HANDSHAKES_MAX) {
      this.#refuse(
        call,
        remote,
        new Refusal(grpc.status.RESOURCE_EXHAUSTED, 'too_many_handshakes', `${HANDSHAKES_MAX} streams are already waiting to say Hello`),
      );
      return;
    }
    this.#handshakes.add(call);
    const timeoutMs = this.#context.settings.submitTimeoutMs;
    const timer = setTimeout(
      () => this.#refuse(call, remote, new Refusal(grpc.status.DEADLINE_EXCEEDED, 'no_hello', `no Hello within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Whichever way the stream ends (we end it, the dialer cancels, the connection dies).
    const gone = () => {
      clearTimeout(timer);
      this.#forget(call);
    };
    call.on('error', gone);
    call.on('cancelled', gone);
    call.on('close', gone);
    call.once('data', (bytes: Buffer) => {
      clearTimeout(timer);
      if (!this.#handshakes.delete(call)) return;
      let claim: { peer: PinnedPeer; local: number; protocolVersion: number };
      try {
        claim = this.#authenticate(call, bytes);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        this.#refuse(call, remote, error);
        return;
      }
      this.#admit(call, claim.peer, claim.local, claim.protocolVersion);
    });
  };

  /** Ends the streams of `peer` (removed, or its pinned key changed: it must authenticate again). */
  dropPeer(peer: number, reason: string): void {
    for (const accepted of [...this.#accepted.values()]) {
      if (accepted.peer !== peer) continue;
      this.#forget(accepted.call);
      this.#context.logger.info({ peer }, `ending the inbound stream of consenter ${peer}: ${reason}`);
      accepted.call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: reason });
    }
  }

  closeAll(): void {
    for (const call of [...this.#handshakes, ...[...this.#accepted.values()].map((a) => a.call)]) {
      this.#forget(call);
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the consenter is shutting down its cluster transport' });
    }
  }

  #authenticate(call: StepCall, bytes: Buffer): { peer: PinnedPeer; local: number; protocolVersion: number } {
    let frames: Frame[];
    try {
      frames = this.#context.settings.frames.decodeFrames(bytes);
    } catch (error) {
      throw new Refusal(grpc.status.INVALID_ARGUMENT, 'bad_hello', `its first message does not decode: ${(error as Error).message}`);
    }
    // Nothing may ride along with the Hello: it is judged before any frame is trusted.
    const hello = frames[0]!;
    if (frames.length !== 1 || hello.kind !== FrameKind.Hello) {
      throw new Refusal(
        grpc.status.INVALID_ARGUMENT,
        'bad_hello',
        `its first message must be a lone Hello frame, got ${frames.length} frame(s) starting with kind ${hello.kind}`,
      );
    }
    return { peer: this.#checkClaim(call, hello), local: hello.to, protocolVersion: hello.protocolVersion };
  }

  #checkClaim(call: StepCall, hello: HelloFrame): PinnedPeer {
    const { selfId } = this.#context.settings;
    if (!CLUSTER_PROTOCOL_VERSIONS_ACCEPTED.includes(hello.protocolVersion)) {
      throw new Refusal(
        grpc.status.FAILED_PRECONDITION,
        'protocol_version',
        `it speaks cluster protocol ${hello.protocolVersion}, this node ${CLUSTER_PROTOCOL_VERSION} (and takes ${CLUSTER_PROTOCOL_VERSIONS_ACCEPTED.join(', ')})`,
      );
    }
    if (!this.#context.isLocalId(hello.to))
      throw new Refusal(grpc.status.PERMISSION_DENIED, 'wrong_target', `it meant to reach consenter ${hello.to}, this is consenter ${selfId}`);
    const peer = this.#context.peers().get(hello.from);
    if (peer === undefined)
      throw new Refusal(grpc.status.PERMISSION_DENIED, 'unknown_consenter', `it claims to be consenter ${hello.from}, which is not a configured consenter`);
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (certificate === undefined)
      throw new Refusal(grpc.status.UNAUTHENTICATED, 'no_certificate', `it claims to be consenter ${hello.from} but presented no verified client certificate`);
    const key = publicKeyOfCertificate(certificate.raw);
    if (!key.equals(peer.pinnedKey)) {
      throw new Refusal(
        grpc.status.PERMISSION_DENIED,
        'pin_mismatch',
        `it claims to be consenter ${hello.from} but its TLS certificate's public key (sha256 ${keyFingerprint(key)}) is not the one pinned for it (sha256 ${keyFingerprint(peer.pinnedKey)})`,
      );
    }
    return peer;
  }

  #refuse(call: StepCall, remote: string, refusal: Refusal): void {
    this.#forget(call);
    this.#context.metrics.streamsRefused.inc({ direction: 'ingress', reason: refusal.reason });
    this.#context.logger.error({ remote, reason: refusal.reason }, `refused an inbound cluster stream from ${remote}: ${refusal.message}`);
    call.emit('error', { code: refusal.status, details: refusal.message });
  }

  #admit(call: StepCall, peer: PinnedPeer, local: number, protocolVersion: number): void {
    const key = streamKey(peer.id, local);
    const previous = this.#accepted.get(key)?.call;
    if (previous !== undefined) {
      this.#forget(previous);
      previous.emit('error', { code: grpc.status.ABORTED, details: `superseded by a newer stream from consenter ${peer.id}` });
    }
    this.#accepted.set(key, { call, peer: peer.id });
    this.#context.metrics.ingressStreams.inc();
    const log = this.#context.logger.child({ peer: peer.id, remote: call.getPeer(), ...(local !== this.#context.settings.selfId && { as: local }) });
    log.info('inbound stream from peer accepted');
    this.#context.peerAdmitted?.(peer.id);
    const session = new InboundSession(call, peer.id, local, protocolVersion, this.#context, log);
    call.on('data', (bytes: Buffer) => session.onMessage(bytes));
    call.on('end', () => call.end());
    call.write(this.#context.settings.frames.encodeFrame({ kind: FrameKind.Welcome }));
  }

  #forget(call: StepCall): void {
    this.#handshakes.delete(call);
    for (const [key, accepted] of this.#accepted) {
      if (accepted.call !== call) continue;
      this.#accepted.delete(key);
      this.#context.metrics.ingressStreams.dec();
    }
  }
}

function streamKey(peer: number, local: number): string {
  return `${peer}>${local}`;
}

/** One authenticated inbound stream: dispatches its frames to the channels. */
class InboundSession {
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

  constructor(
    readonly call: StepCall,
    readonly peer: number,
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
    if (handler === undefined) return;
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
    const handler = this.#handlerOf(channel);
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
