// Opening one outgoing `Step` stream: a fresh gRPC channel with mutual TLS
// whose handshake checks the server's certificate against the key pinned for
// the consenter we meant to reach (on top of the CA chain and hostname).

import { connect, isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { ClusterSettings, PinnedPeer } from './options.js';
import { keyFingerprint, publicKeyOfCertificate } from './pinning.js';
import { CLUSTER_STEP_PATH, passBytes } from './service.js';

/**
 * TLS ServerName sent when the peer address is an IP literal. grpc-js would
 * send the IP itself, which RFC 6066 forbids and Node answers with a DEP0123
 * warning in every node process; our listener ignores the ServerName, and the
 * certificate is still checked against the real IP (see dialStep).
 */
const SERVER_NAME_FOR_IP_ADDRESSES = 'ip-address.invalid';

export type StepStream = grpc.ClientDuplexStream<Buffer, Buffer>;

export interface DialedStream {
  readonly client: grpc.Client;
  readonly call: StepStream;
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

/** Opens the stream; nothing is written yet. The caller closes `client` when done with `call`. */
export function dialStep(peer: PinnedPeer, settings: ClusterSettings): DialedStream {
  let refusal: string | undefined;
  const host = hostOf(peer.address);
  const ipHost = isIP(host) !== 0 ? host : undefined;
  const credentials = grpc.credentials.createSsl(
    Buffer.from(settings.tls.caPems.join('\n')),
    Buffer.from(settings.tls.keyPem),
    Buffer.from(settings.tls.certPem),
    {
      checkServerIdentity: (serverName, cert) => {
        refusal = serverCertificateRefusal(ipHost ?? serverName, cert, peer);
        return refusal === undefined ? undefined : new Error(refusal);
      },
    },
  );
  const client = new grpc.Client(peer.address, credentials, {
    'grpc.max_receive_message_length': settings.frameBytesMax,
    'grpc.max_send_message_length': settings.frameBytesMax,
    'grpc.keepalive_time_ms': settings.keepaliveIntervalMs,
    'grpc.keepalive_timeout_ms': settings.keepaliveIntervalMs,
    // One channel per dial, closed when the stream breaks: our backoff, not
    // grpc-js's (up to 2 minutes), decides when the peer is tried again.
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
    ...(ipHost === undefined ? {} : { 'grpc.ssl_target_name_override': SERVER_NAME_FOR_IP_ADDRESSES }),
  });
  const call = client.makeBidiStreamRequest(CLUSTER_STEP_PATH, passBytes, passBytes);
  return { client, call, refusal: () => refusal };
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
