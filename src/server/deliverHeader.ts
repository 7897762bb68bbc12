// The channel-header checks Fabric's deliver handler makes before anything
// else (common/deliver validateChannelHeader), both answered BAD_REQUEST:
// - the timestamp must be present and within the time window of the server's
//   clock (General.Authentication.TimeWindow, 15m), so an old signed request
//   cannot be replayed indefinitely;
// - under mutual TLS, tls_cert_hash must be the SHA-256 of the client's TLS
//   certificate (core/comm binding inspector), so a request captured from one
//   TLS session cannot be replayed by another client.

import { createHash } from 'node:crypto';
import type { StreamCall } from './serverCall.js';
import { decodeChannelHeader, decodePayload, MalformedMessageError, type ChannelHeader } from '../block/index.js';

export interface DeliverHeaderRules {
  /** Largest accepted distance between the request's timestamp and the server clock. */
  readonly timeWindowMs: number;
  readonly tlsBindingRequired: boolean;
}

/** Undefined when the header passes; otherwise why not. `nowMs`: the server clock. Throws only what the codec throws. */
export function deliverHeaderViolation(call: StreamCall, payloadBytes: Uint8Array, rules: DeliverHeaderRules, nowMs: number): string | undefined {
  let header: ChannelHeader | undefined;
  try {
    const payloadHeader = decodePayload(payloadBytes).header;
    header = payloadHeader === undefined ? undefined : decodeChannelHeader(payloadHeader.channelHeader);
  } catch (error) {
    if (!(error instanceof MalformedMessageError)) throw error;
    return `malformed deliver envelope: ${error.message}`;
  }
  if (header?.timestamp === undefined) return 'the channel header must carry a timestamp';
  const requestMs = header.timestamp.seconds * 1000 + header.timestamp.nanos / 1e6;
  if (!(Math.abs(nowMs - requestMs) <= rules.timeWindowMs)) {
    return `the request's timestamp ${new Date(requestMs).toISOString()} is more than ${rules.timeWindowMs} ms from the server's time ${new Date(nowMs).toISOString()}`;
  }
  return rules.tlsBindingRequired ? tlsBindingViolation(call, header.tlsCertHash) : undefined;
}

function tlsBindingViolation(call: StreamCall, claimed: Uint8Array): string | undefined {
  const certificate = call.peerCertificate();
  if (certificate?.raw === undefined) return 'the client presented no TLS certificate to bind the request to';
  if (claimed.length === 0) return "the request's channel header has no tls_cert_hash (mutual TLS requires it)";
  const actual = createHash('sha256').update(certificate.raw).digest();
  if (!actual.equals(claimed)) return "the request's tls_cert_hash is not the SHA-256 of the client's TLS certificate";
  return undefined;
}
