// The listening side: `Step` streams other consenters dial to us. A stream
// is authenticated by its first frame (Hello: "I am consenter N") checked
// against the certificate presented on the TLS connection: some channel (or
// the node-wide list) must pin that certificate's public key for N. Then it
// carries N's consensus messages and forwarded submits to our chains, each
// taken only for a channel that pins that key for N (inboundSession.ts), and
// our verdicts back.

import * as grpc from '@grpc/grpc-js';
import { CLUSTER_PROTOCOL_VERSION, CLUSTER_PROTOCOL_VERSIONS_ACCEPTED, FrameKind, type Frame, type HelloFrame } from './frames.js';
import { keyFingerprint, publicKeyOfCertificate } from './pinning.js';
import { InboundSession, type InboundContext, type StepCall } from './inboundSession.js';

/** Streams that have not said Hello yet, at most (a bound against idle connections holding memory). */
const HANDSHAKES_MAX = 64;

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
   * The one accepted stream of each (peer id, its key, local id), keyed by
   * streamKey; a newer one supersedes it. A peer has one stream per id of ours
   * it talks to (usually just selfId); two orderers may claim one id (each
   * channel numbers its consenters itself), each on a stream of its own.
   */
  readonly #accepted = new Map<string, { readonly call: StepCall; readonly peer: number; readonly key: Buffer; readonly local: number }>();

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
      let claim: { peer: number; key: Buffer; local: number; protocolVersion: number };
      try {
        claim = this.#authenticate(call, bytes);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        this.#refuse(call, remote, error);
        return;
      }
      this.#admit(call, claim.peer, claim.key, claim.local, claim.protocolVersion);
    });
  };

  /**
   * Ends the streams whose id no list pins to their certificate's key any more
   * (removed, or its pinned key changed: it must authenticate again), and those
   * addressed to an id this node no longer answers as.
   */
  dropUnpinned(): void {
    for (const accepted of [...this.#accepted.values()]) {
      const { peer, key, local } = accepted;
      const pinned = this.#context.directory.keysOf(peer).some((k) => k.equals(key));
      if (pinned && this.#context.isLocalId(local)) continue;
      const reason = pinned
        ? `this node no longer answers as consenter ${local}`
        : `no channel pins this TLS key (sha256 ${keyFingerprint(key)}) for consenter ${peer} any more`;
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

  #authenticate(call: StepCall, bytes: Buffer): { peer: number; key: Buffer; local: number; protocolVersion: number } {
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
    return { peer: hello.from, key: this.#checkClaim(call, hello), local: hello.to, protocolVersion: hello.protocolVersion };
  }

  /** The public key of the dialer's certificate, once some list pins it for the id its Hello claims. */
  #checkClaim(call: StepCall, hello: HelloFrame): Buffer {
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
    const pinned = this.#context.directory.keysOf(hello.from);
    if (pinned.length === 0)
      throw new Refusal(grpc.status.PERMISSION_DENIED, 'unknown_consenter', `it claims to be consenter ${hello.from}, which is not a configured consenter`);
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (certificate === undefined)
      throw new Refusal(grpc.status.UNAUTHENTICATED, 'no_certificate', `it claims to be consenter ${hello.from} but presented no verified client certificate`);
    const key = publicKeyOfCertificate(certificate.raw);
    if (!pinned.some((k) => k.equals(key))) {
      throw new Refusal(
        grpc.status.PERMISSION_DENIED,
        'pin_mismatch',
        `it claims to be consenter ${hello.from} but its TLS certificate's public key (sha256 ${keyFingerprint(key)}) is not the one pinned for it${pinned.length > 1 ? ' on any channel' : ''} (sha256 ${pinned.map((k) => keyFingerprint(k)).join(', ')})`,
      );
    }
    return key;
  }

  #refuse(call: StepCall, remote: string, refusal: Refusal): void {
    this.#forget(call);
    this.#context.metrics.streamsRefused.inc({ direction: 'ingress', reason: refusal.reason });
    this.#context.logger.error({ remote, reason: refusal.reason }, `refused an inbound cluster stream from ${remote}: ${refusal.message}`);
    call.emit('error', { code: refusal.status, details: refusal.message });
  }

  #admit(call: StepCall, peer: number, key: Buffer, local: number, protocolVersion: number): void {
    const streamId = streamKey(peer, key, local);
    const previous = this.#accepted.get(streamId)?.call;
    if (previous !== undefined) {
      this.#forget(previous);
      previous.emit('error', { code: grpc.status.ABORTED, details: `superseded by a newer stream from consenter ${peer}` });
    }
    this.#accepted.set(streamId, { call, peer, key, local });
    this.#context.metrics.ingressStreams.inc();
    const log = this.#context.logger.child({ peer, remote: call.getPeer(), ...(local !== this.#context.settings.selfId && { as: local }) });
    log.info('inbound stream from peer accepted');
    this.#context.peerAdmitted?.(key);
    const session = new InboundSession(call, peer, key, local, protocolVersion, this.#context, log);
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

function streamKey(peer: number, key: Buffer, local: number): string {
  return `${peer}@${key.toString('base64')}>${local}`;
}
