// One TLS certificate as the TLS chain check reads it: through node's
// X509Certificate (OpenSSL), so every algorithm Node's TLS takes works (RSA,
// ECDSA P-256/P-384/P-521, Ed25519...), plus our strict DER reading for SM2.
// OpenSSL on Node 20 checks SM2 certificate signatures with an empty user id,
// not the default one (SM2.md), so SM2-signed certificates and SM2 CA keys go
// through the MSP code's SM2 check.

import { X509Certificate } from 'node:crypto';
import { OrdererError } from '../../errors.js';
import { CryptoEncodingError } from '../errors.js';
import { mayHaveIssued } from '../msp.js';
import { parseCertificate, type ParsedCertificate } from '../x509/certificate.js';
import type { CertificateSignatureCheck } from '../x509/signatureCheck.js';

export interface TlsCertificate {
  readonly x509: X509Certificate;
  /** "CN=...,O=..." (most specific first, as the MSP code prints names), for messages. */
  readonly subject: string;
  /** Invariant: notBefore <= notAfter, both valid dates. */
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  /**
   * Our DER reading, present only for an SM2 certificate (SM2-with-SM3
   * signature or SM2 key); undefined means OpenSSL checks its signatures.
   */
  readonly sm2: ParsedCertificate | undefined;
}

function dateOf(text: string, field: string, subject: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new CryptoEncodingError(`certificate "${subject}" has an unreadable ${field} "${text}"`);
  return date;
}

/** Our reading when the certificate is SM2; undefined for any other algorithm (or one our parser cannot read). */
function sm2Reading(der: Uint8Array): ParsedCertificate | undefined {
  try {
    const parsed = parseCertificate(der);
    return parsed.signatureAlgorithm === 'sm2' || parsed.publicKey.algorithm === 'sm2' ? parsed : undefined;
  } catch (err) {
    // RSA, P-384, v1 certificates...: not SM2, so OpenSSL's reading is the one that counts.
    if (err instanceof OrdererError) return undefined;
    throw err;
  }
}

/** Reads one DER certificate; throws CryptoEncodingError naming `what` when OpenSSL cannot read it. */
export function readTlsCertificate(der: Uint8Array, what: string): TlsCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    throw new CryptoEncodingError(`${what} is not an X.509 certificate OpenSSL reads: ${err.message}`, { cause: err });
  }
  const subject = x509.subject.split('\n').reverse().join(',');
  const notBefore = dateOf(x509.validFrom, 'notBefore', subject);
  const notAfter = dateOf(x509.validTo, 'notAfter', subject);
  if (notBefore.getTime() > notAfter.getTime())
    throw new CryptoEncodingError(`certificate "${subject}" is valid from ${x509.validFrom} to ${x509.validTo}: an empty window`);
  return { x509, subject, notBefore, notAfter, isCa: x509.ca, sm2: sm2Reading(der) };
}

/**
 * Did `issuer` issue and sign `child`? OpenSSL's X509_check_issued (names,
 * key ids, keyCertSign usage) and X509_verify for every algorithm but SM2;
 * for SM2 the MSP code's name/key-id match and the engine's SM2 verifier.
 */
export function tlsIssuedBy(child: TlsCertificate, issuer: TlsCertificate, sm2SignedBy: CertificateSignatureCheck): boolean {
  if (child.sm2?.signatureAlgorithm === 'sm2') {
    return issuer.sm2 !== undefined && mayHaveIssued(issuer.sm2, child.sm2) && sm2SignedBy(child.sm2, issuer.sm2);
  }
  // An SM2 CA key signs with SM2 only, and OpenSSL would check that with an empty user id.
  if (issuer.sm2?.publicKey.algorithm === 'sm2') return false;
  return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
}
