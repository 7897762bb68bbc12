// Fabric ends a Deliver session when the requester's certificate expires
// (common/deliver SessionAccessControl, crypto.ExpiresAt): a long-running
// stream must not outlive the identity that opened it.

import { X509Certificate } from 'node:crypto';

/**
 * When the requester's certificate (SerializedIdentity.id_bytes, PEM) stops
 * being valid, in ms since the epoch; undefined when it is not an X.509
 * certificate Node can read. The channel's authorizeDeliver is the judge of
 * the identity itself; this only adds the end of the session.
 */
export function certificateExpiryMs(idBytes: Uint8Array): number | undefined {
  let validTo: string;
  try {
    validTo = new X509Certificate(idBytes).validTo;
  } catch (error) {
    if (error instanceof Error) return undefined; // not a certificate: no expiry to enforce (authorizeDeliver decided)
    throw error;
  }
  const ms = Date.parse(validTo);
  return Number.isNaN(ms) ? undefined : ms;
}
