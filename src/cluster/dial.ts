// Opening one outgoing `Step` stream: an HTTP/2 connection with mutual TLS
// whose handshake checks the server's certificate against the key pinned for
// the consenter we meant to reach (on top of the CA chain and hostname), and
// one gRPC call on it, spoken directly over node:http2 (a POST to the method's
// path; each message a 5-byte prefix, flag and big-endian length, then its
// bytes; the status in the trailers). The listener is grpc-js's server: the
// bytes on the wire are what a grpc-js client sent. Written this way so a
// frame goes out as the pieces it was encoded in (framePieces.ts): a block in
// a Raft append reaches TLS without a copy, where grpc-js framed every
// message into a fresh buffer.

import http2 from 'node:http2';
import { connect, isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { piecesOf, type FrameBytes } from './framePieces.js';
import type { ClusterSettings, PinnedPeer } from './options.js';
import { keyFingerprint, publicKeyOfCertificate } from './pinning.js';
import { CLUSTER_STEP_PATH } from './service.js';

/**
 * TLS ServerName sent when the peer address is an IP literal: the IP itself is
 * forbidden there by RFC 6066 (Node answers it with a DEP0123 warning in every
 * node process); our listener ignores the ServerName, and the certificate is
 * still checked against the real IP (see dialStep).
 */
const SERVER_NAME_FOR_IP_ADDRESSES = 'ip-address.invalid';

/** gRPC status codes the dialer reports itself (the listener's come in its trailers). */
export const GRPC_OK = 0;
export const GRPC_UNKNOWN = 2;
export const GRPC_INTERNAL = 13;
export const GRPC_UNAVAILABLE = 14;

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE, NGHTTP2_CANCEL } = http2.constants;
const PREFIX_BYTES = 5;

/** What the caller hears from an outgoing stream. */
export interface StepHandlers {
  /** One message from the listener (its Welcome, verdicts on our forwarded submits). */
  message(bytes: Buffer): void;
  /**
   * The stream ended, once: `code` is the gRPC status the listener ended it
   * with (GRPC_OK: it ended it normally), or GRPC_UNAVAILABLE / GRPC_UNKNOWN
   * when the connection or the call failed; `details` says why.
   */
  ended(code: number, details: string): void;
}

/** The writing side of an outgoing stream. */
export interface StepCall {
  /** Writes the frames as one gRPC message, without copying them; false when the stream's buffer is full ('drain' follows). */
  write(frames: readonly FrameBytes[]): boolean;
  /** Called once the stream's buffer has room again. */
  onceDrain(listener: () => void): void;
  /** Cancels the call and closes its connection; `ended` is not called for it. */
  close(): void;
}

export interface DialedStream {
  readonly call: StepCall;
  /** Why the TLS handshake refused the server's certificate, once it has; else undefined. */
  readonly refusal: () => string | undefined;
}

/** The host of a `host:port` address, without an IPv6 literal's brackets. */
function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
}

/**
 * A bare TCP connect to `address`: 'refused' when nothing listens there (the
 * peer's process is gone: the kernel answers RST at once), 'open' when the
 * connection was accepted (by the kernel: a paused process still accepts),
 * 'unknown' on any other failure. A gRPC dial learns the same about 30 ms later
 * on a busy machine (channel, TLS credentials), and a dead leader's early
 * detection waits on it.
 */
export function tcpProbe(address: string, outcome: (result: 'refused' | 'open' | 'unknown') => void): void {
  const socket = connect({ host: hostOf(address), port: Number(address.slice(address.lastIndexOf(':') + 1)) });
  socket.once('connect', () => {
    socket.destroy();
    outcome('open');
  });
  socket.once('error', (error: NodeJS.ErrnoException) => {
    socket.destroy();
    outcome(error.code === 'ECONNREFUSED' ? 'refused' : 'unknown');
  });
}

/** Opens the stream; nothing is written yet. */
export function dialStep(peer: PinnedPeer, settings: ClusterSettings, handlers: StepHandlers): DialedStream {
  let refusal: string | undefined;
  let ended = false;
  const host = hostOf(peer.address);
  const ipHost = isIP(host) !== 0 ? host : undefined;
  const session = http2.connect(`https://${peer.address}`, {
    ca: [...settings.tls.caPems],
    key: settings.tls.keyPem,
    cert: settings.tls.certPem,
    servername: ipHost === undefined ? host : SERVER_NAME_FOR_IP_ADDRESSES,
    checkServerIdentity: (serverName: string, cert: PeerCertificate) => {
      refusal = serverCertificateRefusal(ipHost ?? serverName, cert, peer);
      return refusal === undefined ? undefined : new Error(refusal);
    },
  });
  const stream = session.request(
    { [HTTP2_HEADER_METHOD]: 'POST', [HTTP2_HEADER_PATH]: CLUSTER_STEP_PATH, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', [HTTP2_HEADER_TE]: 'trailers' },
    { endStream: false },
  );
  const reader = new MessageReader(settings.frameBytesMax);
  const keepalive = keepAlive(session, settings.keepaliveIntervalMs, () =>
    end(GRPC_UNAVAILABLE, `keepalive ping not answered within ${settings.keepaliveIntervalMs} ms`),
  );

  function teardown(): void {
    keepalive.stop();
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    session.destroy();
  }
  function end(code: number, details: string): void {
    if (ended) return;
    ended = true;
    teardown();
    handlers.ended(code, details);
  }

  stream.on('response', (headers) => {
    const status = Number(headers[HTTP2_HEADER_STATUS]);
    if (headers['grpc-status'] !== undefined)
      end(...grpcStatusOf(headers)); // trailers-only: the call was refused at once
    else if (status !== 200) end(GRPC_UNKNOWN, `the listener answered HTTP status ${status}`);
  });
  stream.on('data', (chunk: Buffer) => {
    const messages = reader.push(chunk);
    if (typeof messages === 'string') {
      end(GRPC_INTERNAL, messages);
      return;
    }
    for (const message of messages) {
      if (ended) return;
      handlers.message(message);
    }
  });
  stream.on('trailers', (trailers) => end(...grpcStatusOf(trailers)));
  stream.on('error', (error: Error) => end(GRPC_UNAVAILABLE, error.message));
  stream.on('close', () => end(GRPC_UNAVAILABLE, `the stream closed without a status (HTTP/2 code ${stream.rstCode ?? 'none'})`));
  // A connection error closes its streams too; unhandled, it would end the process.
  session.on('error', (error: Error) => end(GRPC_UNAVAILABLE, error.message));

  const call: StepCall = {
    write(frames) {
      let length = 0;
      for (const frame of frames) length += frame.length;
      const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
      prefix[0] = 0;
      prefix.writeUInt32BE(length, 1);
      stream.cork();
      let writable = stream.write(prefix);
      for (const piece of piecesOf(frames)) writable = stream.write(piece);
      stream.uncork();
      return writable;
    },
    onceDrain(listener) {
      stream.once('drain', listener);
    },
    close() {
      ended = true;
      teardown();
    },
  };
  return { call, refusal: () => refusal };
}

/**
 * gRPC messages out of the listener's DATA chunks (small: a Welcome, verdicts).
 * We announce no compression, so a compressed message is refused.
 */
class MessageReader {
  #held: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** The messages `chunk` completes, or why the stream must end. */
  push(chunk: Buffer): Buffer[] | string {
    let buf = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const messages: Buffer[] = [];
    while (buf.length >= PREFIX_BYTES) {
      if (buf[0] !== 0) return 'the listener sent a compressed message, which this stream did not announce';
      const length = buf.readUInt32BE(1);
      if (length > this.maxBytes) return `the listener sent a message of ${length} bytes, more than ${this.maxBytes}`;
      if (buf.length < PREFIX_BYTES + length) break;
      messages.push(buf.subarray(PREFIX_BYTES, PREFIX_BYTES + length));
      buf = buf.subarray(PREFIX_BYTES + length);
    }
    this.#held = buf;
    return messages;
  }
}

/** The status of a call from its trailers (or trailers-only headers): code and percent-decoded message. */
function grpcStatusOf(headers: http2.IncomingHttpHeaders): [number, string] {
  const code = Number(headers['grpc-status']);
  const raw = headers['grpc-message'];
  let details = typeof raw === 'string' ? raw : '';
  try {
    details = decodeURIComponent(details);
  } catch {
    // Not percent-encoded after all: shown as it came.
  }
  return [Number.isInteger(code) ? code : GRPC_UNKNOWN, details];
}

/** HTTP/2 pings every `intervalMs`; `dead` when one is not answered within `intervalMs` (a frozen or partitioned peer resets nothing). */
function keepAlive(session: http2.ClientHttp2Session, intervalMs: number, dead: () => void): { stop(): void } {
  let unanswered: NodeJS.Timeout | undefined;
  const timer = setInterval(() => {
    if (unanswered !== undefined || session.destroyed) return;
    let sent: boolean;
    try {
      sent = session.ping((error) => {
        clearTimeout(unanswered);
        unanswered = undefined;
        if (error !== null && !session.destroyed) dead();
      });
    } catch {
      return; // the session is closing: its stream's end reports that
    }
    if (sent) unanswered = setTimeout(dead, intervalMs).unref();
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      clearTimeout(unanswered);
    },
  };
}

/** Hostname check as usual, then the pin: the server's key must be the one configured for `peer`. */
export function serverCertificateRefusal(host: string, cert: PeerCertificate, peer: PinnedPeer): string | undefined {
  const hostError = checkServerIdentity(host, cert);
  if (hostError !== undefined) return `its TLS certificate is not valid for host "${host}": ${hostError.message}`;
  let key: Buffer;
  try {
    key = publicKeyOfCertificate(cert.raw);
  } catch (cause) {
    return `its TLS certificate cannot be read: ${String(cause)}`;
  }
  if (!key.equals(peer.pinnedKey)) {
    return `its TLS certificate's public key (sha256 ${keyFingerprint(key)}) is not the one pinned for consenter ${peer.id} (sha256 ${keyFingerprint(peer.pinnedKey)})`;
  }
  return undefined;
}
