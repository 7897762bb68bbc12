// Options of the client gRPC server and of the operations HTTP listener:
// input types (what callers write) apart from filled types (defaults applied,
// validated once here, naming the option that breaks its rule).

import { DEFAULT_ACK_TIMEOUT_MS, type AckMode } from '../chain/index.js';
import { InvalidServerOptionsError } from './errors.js';

const MIB = 1024 * 1024;

export interface ServerTlsInput {
  /** PEM certificate chain the server presents. */
  readonly certPem: string;
  /** PEM private key of `certPem`. */
  readonly keyPem: string;
  /** PEM CA certificates client certificates must chain to (mutual TLS). */
  readonly clientRootCasPem?: readonly string[];
  /** Refuse clients without a certificate issued by `clientRootCasPem`. Default: false. */
  readonly requireClientCert?: boolean;
}

export interface ServerTls {
  readonly certPem: string;
  readonly keyPem: string;
  readonly clientRootCasPem: readonly string[];
  readonly requireClientCert: boolean;
}

export interface AtomicBroadcastServerOptionsInput {
  /** host:port; port 0 picks a free port (see AtomicBroadcastServer.port). */
  readonly listenAddress: string;
  readonly tls?: ServerTlsInput;
  /** Envelopes one Broadcast stream may have submitted but not yet answered. Default 256. */
  readonly broadcastOutstandingMax?: number;
  /** Largest request message accepted. Default 100 MiB (Fabric's General.MaxRecvMsgSize). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response message sent. Default 100 MiB (Fabric's General.MaxSendMsgSize). */
  readonly maxSendMessageBytes?: number;
  /** Concurrent streams per client connection. Default 1000. */
  readonly maxConcurrentStreams?: number;
  /** How long close() lets streams finish before cancelling them. Default 5000. */
  readonly shutdownGraceMs?: number;
  /** Deliver requests timestamped further than this from the server clock are refused. Default 15 min (Fabric's General.Authentication.TimeWindow). */
  readonly deliverTimeWindowMs?: number;
  /** When Broadcast answers SUCCESS for streams that do not choose (header `orderer-ack`): 'accepted' (default, as Fabric) or 'committed'. */
  readonly broadcastAck?: AckMode;
  /** 'committed' acknowledgements wait at most this long for the block, then answer SERVICE_UNAVAILABLE. Default 10000. */
  readonly broadcastAckTimeoutMs?: number;
}

export interface AtomicBroadcastServerOptions {
  readonly listenAddress: string;
  readonly tls: ServerTls | undefined;
  /** Invariant: 1 <= broadcastOutstandingMax <= BROADCAST_OUTSTANDING_MAX_LIMIT. */
  readonly broadcastOutstandingMax: number;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly maxConcurrentStreams: number;
  readonly shutdownGraceMs: number;
  readonly deliverTimeWindowMs: number;
  readonly broadcastAck: AckMode;
  readonly broadcastAckTimeoutMs: number;
}

export const BROADCAST_OUTSTANDING_MAX_LIMIT = 65_536;
const MESSAGE_BYTES_LIMIT = 2 ** 31 - 1; // gRPC clients (grpc-js, grpc-go) take an int32

export function fillServerOptions(input: AtomicBroadcastServerOptionsInput): AtomicBroadcastServerOptions {
  return {
    listenAddress: checkListenAddress('options.listenAddress', input.listenAddress),
    tls: input.tls === undefined ? undefined : fillTls(input.tls),
    broadcastOutstandingMax: checkInteger('options.broadcastOutstandingMax', input.broadcastOutstandingMax ?? 256, 1, BROADCAST_OUTSTANDING_MAX_LIMIT),
    maxReceiveMessageBytes: checkInteger('options.maxReceiveMessageBytes', input.maxReceiveMessageBytes ?? 100 * MIB, 1024, MESSAGE_BYTES_LIMIT),
    maxSendMessageBytes: checkInteger('options.maxSendMessageBytes', input.maxSendMessageBytes ?? 100 * MIB, 1024, MESSAGE_BYTES_LIMIT),
    maxConcurrentStreams: checkInteger('options.maxConcurrentStreams', input.maxConcurrentStreams ?? 1000, 1, 1_000_000),
    shutdownGraceMs: checkInteger('options.shutdownGraceMs', input.shutdownGraceMs ?? 5000, 0, 600_000),
    deliverTimeWindowMs: checkInteger('options.deliverTimeWindowMs', input.deliverTimeWindowMs ?? 15 * 60_000, 1000, 7 * 24 * 3_600_000),
    broadcastAck: checkAckMode(input.broadcastAck ?? 'accepted'),
    broadcastAckTimeoutMs: checkInteger('options.broadcastAckTimeoutMs', input.broadcastAckTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS, 100, 600_000),
  };
}

function fillTls(input: ServerTlsInput): ServerTls {
  checkPem('options.tls.certPem', input.certPem, 'CERTIFICATE');
  checkPem('options.tls.keyPem', input.keyPem, 'PRIVATE KEY');
  const clientRootCasPem = input.clientRootCasPem ?? [];
  clientRootCasPem.forEach((pem, i) => checkPem(`options.tls.clientRootCasPem[${i}]`, pem, 'CERTIFICATE'));
  const requireClientCert = input.requireClientCert ?? false;
  if (requireClientCert && clientRootCasPem.length === 0) {
    throw new InvalidServerOptionsError('options.tls.requireClientCert needs at least one options.tls.clientRootCasPem to check client certificates against');
  }
  return { certPem: input.certPem, keyPem: input.keyPem, clientRootCasPem, requireClientCert };
}

export interface OperationsServerOptionsInput {
  /** host:port of the HTTP listener; port 0 picks a free port. */
  readonly listenAddress: string;
  /** HTTPS instead of HTTP (Fabric's Operations.TLS), optionally with client certificates required. */
  readonly tls?: ServerTlsInput;
  /** Whole-request time bound (headers included). Default 10000. */
  readonly requestTimeoutMs?: number;
  /** Bound on one health check; a check still running then counts as failed. Default 5000. */
  readonly healthCheckTimeoutMs?: number;
  /** Concurrent connections accepted. Default 64. */
  readonly connectionsMax?: number;
}

export interface OperationsServerOptions {
  readonly listenAddress: string;
  readonly tls: ServerTls | undefined;
  readonly requestTimeoutMs: number;
  /** Invariant: < requestTimeoutMs, so a slow check still gets its 503 answered. */
  readonly healthCheckTimeoutMs: number;
  readonly connectionsMax: number;
}

export function fillOperationsOptions(input: OperationsServerOptionsInput): OperationsServerOptions {
  const requestTimeoutMs = checkInteger('options.requestTimeoutMs', input.requestTimeoutMs ?? 10_000, 100, 600_000);
  const healthCheckTimeoutMs = checkInteger('options.healthCheckTimeoutMs', input.healthCheckTimeoutMs ?? 5000, 1, 600_000);
  if (healthCheckTimeoutMs >= requestTimeoutMs) {
    throw new InvalidServerOptionsError(
      `options.healthCheckTimeoutMs must be less than options.requestTimeoutMs (${requestTimeoutMs}), got ${healthCheckTimeoutMs}`,
    );
  }
  return {
    listenAddress: checkListenAddress('options.listenAddress', input.listenAddress),
    tls: input.tls === undefined ? undefined : fillTls(input.tls),
    requestTimeoutMs,
    healthCheckTimeoutMs,
    connectionsMax: checkInteger('options.connectionsMax', input.connectionsMax ?? 64, 1, 100_000),
  };
}

/** host:port with a port in 0..65535; IPv6 hosts in brackets ("[::1]:7050"). */
export function splitHostPort(name: string, address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new InvalidServerOptionsError(`${name} must be host:port with a port 0..65535, got ${JSON.stringify(address)}`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function checkListenAddress(name: string, address: unknown): string {
  if (typeof address !== 'string') throw new InvalidServerOptionsError(`${name} must be a host:port string, got ${typeof address}`);
  splitHostPort(name, address);
  return address;
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidServerOptionsError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

function checkPem(name: string, pem: unknown, label: 'CERTIFICATE' | 'PRIVATE KEY'): void {
  if (typeof pem !== 'string' || !new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(pem)) {
    throw new InvalidServerOptionsError(`${name} must be a PEM ${label.toLowerCase()}`);
  }
}

function checkAckMode(value: unknown): AckMode {
  if (value !== 'accepted' && value !== 'committed')
    throw new InvalidServerOptionsError(`options.broadcastAck must be 'accepted' or 'committed', got ${JSON.stringify(value)}`);
  return value;
}
