// Consenter certificate pinning, as Fabric's cluster does: a peer is who it
// claims to be only if the certificate it presents on the TLS connection
// carries the public key configured for that consenter id. Comparing the
// SubjectPublicKeyInfo (not the whole certificate) lets a consenter renew its
// certificate with the same key without a config change, as Fabric allows.

import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';

/** DER SubjectPublicKeyInfo of a certificate; throws (node:crypto's error) when `pemOrDer` is not one. */
export function publicKeyOfCertificate(pemOrDer: string | Uint8Array): Buffer {
  const certificate = new X509Certificate(typeof pemOrDer === 'string' ? pemOrDer : Buffer.from(pemOrDer));
  return certificate.publicKey.export({ type: 'spki', format: 'der' });
}

/** True when the private key in `keyPem` belongs to the certificate `certPem`. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
}

/** First 8 bytes of SHA-256 over the SPKI, hex: names a key in log lines without printing it whole. */
export function keyFingerprint(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}
