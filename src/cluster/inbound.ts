// The listening side: `Step` streams other consenters dial to us. A stream
// is authenticated by its first frame (Hello: "I am consenter N") checked
// against the public key pinned for N and the certificate presented on the
// TLS connection; then it carries N's consensus messages and forwarded
// submits to our chains, and our verdicts back.

import * as grpc from '@grpc/grpc-js';
import { CLUSTER_PROTOCOL_VERSION, CLUSTER_PROTOCOL_VERSIONS_ACCEPTED, FrameKind, type Frame, type HelloFrame } from './frames.js';
import type { PinnedPeer } from './options.js';
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
