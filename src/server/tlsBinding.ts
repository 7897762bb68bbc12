// Fabric's binding inspector (core/comm/binding.go): under mutual TLS a
// Deliver request must name, in its channel header's tls_cert_hash, the
// SHA-256 of the client's TLS certificate, so a signed request captured from
// one TLS session cannot be replayed by another client.

import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { decodeChannelHeader, decodePayload, MalformedMessageError, Status } from '../block/index.js';

export interface BindingViolation {
  readonly status: Status.FORBIDDEN | Status.BAD_REQUEST;
  readonly info: string;
}

/** Undefined when the request is bound to this TLS session. */
export function tlsBindingViolation(call: grpc.ServerDuplexStream<Buffer, Buffer>, payloadBytes: Uint8Array): BindingViolation | undefined {
  const certificate = call.getAuthContext()?.sslPeerCertificate;
  if (certificate?.raw === undefined) return forbidden('the client presented no TLS certificate to bind the request to');
  let claimed: Uint8Array;
  try {
    const header = decodePayload(payloadBytes).header;
    claimed = header === undefined ? new Uint8Array(0) : decodeChannelHeader(header.channelHeader).tlsCertHash;
  } catch (error) {
    if (!(error instanceof MalformedMessageError)) throw error;
    return { status: Status.BAD_REQUEST, info: `malformed deliver envelope: ${error.message}` };
  }
  if (claimed.length === 0) return forbidden("the request's channel header has no tls_cert_hash (mutual TLS requires it)");
  const actual = createHash('sha256').update(certificate.raw).digest();
  if (!actual.equals(claimed)) return forbidden("the request's tls_cert_hash is not the SHA-256 of the client's TLS certificate");
  return undefined;
}

function forbidden(info: string): BindingViolation {
  return { status: Status.FORBIDDEN, info };
}
