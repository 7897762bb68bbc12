// Options of the cluster transport, validated once at the boundary. The input
// type has optional bounds; `ClusterSettings` is the filled, checked form the
// rest of src/cluster works with.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { ClusterPeer } from './types.js';
import { ClusterOptionsError } from './errors.js';
import { keyMatchesCertificate, publicKeyOfCertificate } from './pinning.js';
import { frameCodec, type FrameCodec, type FrameEngine } from './frames.js';

export interface ClusterTlsOptions {
  /** This node's TLS certificate (PEM), presented as server and as client. */
  readonly certPem: string;
  /** Its private key (PEM, PKCS#8 or SEC1). */
  readonly keyPem: string;
  /** CA certificates (PEM) that issue the other consenters' TLS certificates. */
  readonly caPems: readonly string[];
}

export interface ClusterTransportOptions {
  /** This node's consenter id (a positive integer). */
  readonly selfId: number;
  /** host:port to listen on; port 0 picks a free port (see `GrpcClusterTransport.port`). */
  readonly listenAddress: string;
  readonly tls: ClusterTlsOptions;
  /** The other consenters. An entry with id `selfId` is ignored, so a channel's full consenter list can be passed. */
  readonly peers: readonly ClusterPeer[];
  /** Frames waiting to be written to one peer. Default 1000. */
  readonly sendQueueFramesMax?: number;
  /** Bytes of frames waiting to be written to one peer. Default 128 MiB; at least `frameBytesMax`. */
  readonly sendQueueBytesMax?: number;
  /** Forwarded submits waiting for room in one peer's queue; more are refused at once. Default 1000. */
  readonly submitWaitersMax?: number;
  /**
   * A forwarded submit without a verdict after this long is rejected SERVICE_UNAVAILABLE; also the
   * bound on a dial (TLS handshake to Welcome) and on an inbound stream's Hello. Default 7000 (Fabric's RPCTimeout).
   */
  readonly submitTimeoutMs?: number;
  /** Submits one inbound stream may have in the local chain at once; more are answered SERVICE_UNAVAILABLE. Default 1000. */
  readonly inboundSubmitsMax?: number;
  /** First reconnect delay after a stream breaks. Default 100. */
  readonly reconnectBackoffMinMs?: number;
  /** Reconnect delays double up to this. Default 5000. */
  readonly reconnectBackoffMaxMs?: number;
  /** Largest frame sent or received (snapshots carry a block). Default 100 MiB (Fabric's MaxRecvMsgSize). */
  readonly frameBytesMax?: number;
  /** HTTP/2 keepalive ping interval, so a silent dead peer is noticed. Default 10000. */
  readonly keepaliveIntervalMs?: number;
  readonly logger: Logger;
  /** Where the cluster_comm_* metrics are registered (one transport per registry); default a private registry. */
  readonly metrics?: Registry;
  /**
   * The node's engine. 'native-free': frames are decoded in pure JavaScript and no add-on is loaded;
   * 'native' (default): msgpackr's Node build, with its native string decoder when installed.
   * Both put the same bytes on the wire.
   */
  readonly engine?: FrameEngine;
}

export interface PinnedPeer extends ClusterPeer {
  /** DER SubjectPublicKeyInfo of `tlsCertPem`. */
  readonly pinnedKey: Buffer;
}

export interface ClusterSettings {
  readonly selfId: number;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly tls: ClusterTlsOptions;
  readonly peers: ReadonlyMap<number, PinnedPeer>;
  readonly sendQueueFramesMax: number;
  readonly sendQueueBytesMax: number;
  readonly submitWaitersMax: number;
  readonly submitTimeoutMs: number;
  readonly inboundSubmitsMax: number;
  readonly reconnectBackoffMinMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly frameBytesMax: number;
  readonly keepaliveIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: Registry | undefined;
  /** Encodes and decodes every frame of this transport (the engine's msgpackr build). */
  readonly frames: FrameCodec;
}

const MIB = 1024 * 1024;
/** gRPC's own limit on a message length is a signed 32-bit int. */
const GRPC_MESSAGE_BYTES_MAX = 0x7fff_ffff;

export function validateClusterOptions(options: ClusterTransportOptions): ClusterSettings {
  const selfId = positiveInteger(options.selfId, 'options.selfId');
  const { host, port } = parseAddress(options.listenAddress, 'options.listenAddress', true);
  const tls = validateTls(options.tls);
  const frameBytesMax = bounded(options.frameBytesMax, 100 * MIB, 'options.frameBytesMax', 1024, GRPC_MESSAGE_BYTES_MAX);
  const sendQueueBytesMax = bounded(options.sendQueueBytesMax, Math.max(128 * MIB, frameBytesMax), 'options.sendQueueBytesMax', 1, Number.MAX_SAFE_INTEGER);
  if (sendQueueBytesMax < frameBytesMax) {
    throw new ClusterOptionsError(
      `options.sendQueueBytesMax (${sendQueueBytesMax}) must be at least options.frameBytesMax (${frameBytesMax}), or the largest frame could never be queued`,
    );
  }
  const reconnectBackoffMinMs = bounded(options.reconnectBackoffMinMs, 100, 'options.reconnectBackoffMinMs', 1, 60_000);
  const reconnectBackoffMaxMs = bounded(options.reconnectBackoffMaxMs, 5000, 'options.reconnectBackoffMaxMs', 1, 600_000);
  if (reconnectBackoffMaxMs < reconnectBackoffMinMs) {
    throw new ClusterOptionsError(
      `options.reconnectBackoffMaxMs (${reconnectBackoffMaxMs}) must be at least options.reconnectBackoffMinMs (${reconnectBackoffMinMs})`,
    );
  }
  if (options.logger === undefined || typeof options.logger.child !== 'function') {
    throw new ClusterOptionsError('options.logger must be a pino logger');
  }
  return {
    selfId,
    listenHost: host,
    listenPort: port,
    tls,
    peers: validatePeers(options.peers, selfId, 'options.peers'),
    sendQueueFramesMax: bounded(options.sendQueueFramesMax, 1000, 'options.sendQueueFramesMax', 1, 1_000_000),
    sendQueueBytesMax,
    submitWaitersMax: bounded(options.submitWaitersMax, 1000, 'options.submitWaitersMax', 0, 1_000_000),
    submitTimeoutMs: bounded(options.submitTimeoutMs, 7000, 'options.submitTimeoutMs', 1, 600_000),
    inboundSubmitsMax: bounded(options.inboundSubmitsMax, 1000, 'options.inboundSubmitsMax', 1, 1_000_000),
    reconnectBackoffMinMs,
    reconnectBackoffMaxMs,
    frameBytesMax,
    keepaliveIntervalMs: bounded(options.keepaliveIntervalMs, 10_000, 'options.keepaliveIntervalMs', 1000, 3_600_000),
    logger: options.logger,
    metrics: options.metrics,
    frames: frameCodec(engineOf(options.engine)),
  };
}

/** Checks a peer list (at start or in `updatePeers`) and pins each peer's key. `what` names the list in errors. */
export function validatePeers(peers: readonly ClusterPeer[], selfId: number, what: string): Map<number, PinnedPeer> {
  if (!Array.isArray(peers)) throw new ClusterOptionsError(`${what} must be an array of {id, address, tlsCertPem}`);
  const pinned = new Map<number, PinnedPeer>();
  peers.forEach((peer, i) => {
    const at = `${what}[${i}]`;
    const id = positiveInteger(peer?.id, `${at}.id`);
    if (id === selfId) return;
    if (pinned.has(id)) throw new ClusterOptionsError(`${at}.id ${id} appears twice in ${what}`);
    parseAddress(peer.address, `${at}.address`, false);
    let pinnedKey: Buffer;
    try {
      pinnedKey = publicKeyOfCertificate(peer.tlsCertPem);
    } catch (cause) {
      throw new ClusterOptionsError(`${at}.tlsCertPem (consenter ${id}) is not a PEM X.509 certificate: ${String(cause)}`, { cause });
    }
    pinned.set(id, { id, address: peer.address, tlsCertPem: peer.tlsCertPem, pinnedKey });
  });
  return pinned;
}

function validateTls(tls: ClusterTlsOptions | undefined): ClusterTlsOptions {
  if (tls === undefined || tls === null) throw new ClusterOptionsError('options.tls is required: mutual TLS is not optional between orderers');
  certificate(tls.certPem, 'options.tls.certPem');
  if (typeof tls.keyPem !== 'string' || tls.keyPem.length === 0) throw new ClusterOptionsError('options.tls.keyPem must be a PEM private key');
  let matches: boolean;
  try {
    matches = keyMatchesCertificate(tls.certPem, tls.keyPem);
  } catch (cause) {
    throw new ClusterOptionsError(`options.tls.keyPem is not a readable private key: ${String(cause)}`, { cause });
  }
  if (!matches) throw new ClusterOptionsError('options.tls.keyPem is not the private key of options.tls.certPem');
  if (!Array.isArray(tls.caPems) || tls.caPems.length === 0) {
    throw new ClusterOptionsError("options.tls.caPems must list at least one CA certificate (PEM) that issues the consenters' TLS certificates");
  }
  tls.caPems.forEach((pem, i) => certificate(pem, `options.tls.caPems[${i}]`));
  try {
    // What the listener and every dial will build: fail here, naming the option, not at bind time.
    createSecureContext({ cert: tls.certPem, key: tls.keyPem, ca: [...tls.caPems] });
  } catch (cause) {
    throw new ClusterOptionsError(
      `options.tls.certPem/keyPem cannot be used for TLS by Node (${String(cause)}); cluster TLS takes what OpenSSL takes (ECDSA P-256 or P-384, RSA, Ed25519); SM2 is not supported by Node's TLS`,
      { cause },
    );
  }
  return { certPem: tls.certPem, keyPem: tls.keyPem, caPems: [...tls.caPems] };
}

function certificate(pem: unknown, what: string): void {
  if (typeof pem !== 'string') throw new ClusterOptionsError(`${what} must be a PEM certificate string`);
  try {
    new X509Certificate(pem);
  } catch (cause) {
    throw new ClusterOptionsError(`${what} is not a PEM X.509 certificate: ${String(cause)}`, { cause });
  }
}

/** "host:port", host a name, an IPv4 address or a bracketed IPv6 address. */
export function parseAddress(address: unknown, what: string, portZeroAllowed: boolean): { host: string; port: number } {
  if (typeof address !== 'string') throw new ClusterOptionsError(`${what} must be a "host:port" string`);
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535 || (port === 0 && !portZeroAllowed)) {
    throw new ClusterOptionsError(`${what} "${address}" is not a "host:port" address with a port in ${portZeroAllowed ? 0 : 1}..65535`);
  }
  return { host: match[1]!, port };
}

function engineOf(engine: unknown): FrameEngine {
  if (engine === undefined) return 'native';
  if (engine !== 'native' && engine !== 'native-free') throw new ClusterOptionsError(`options.engine must be 'native' or 'native-free', got ${String(engine)}`);
  return engine;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ClusterOptionsError(`${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function bounded(value: number | undefined, fallback: number, what: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ClusterOptionsError(`${what} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}
