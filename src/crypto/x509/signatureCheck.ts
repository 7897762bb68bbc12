// "Did `issuer` sign `child`?" for each engine. Certificate signatures follow
// X.509, not Fabric's transaction rule: a CA's high-S ECDSA signature is valid
// (Go's crypto/x509 and OpenSSL accept it), so the low-S rule is not applied.

import { X509Certificate } from 'node:crypto';
import { P256_N } from '../curves.js';
import { createCryptoProvider } from '../provider.js';
import { encodeSignature, toLowS, tryDecodeSignature } from '../signatureDer.js';
import type { CryptoProvider, Engine } from '../types.js';
import type { ParsedCertificate } from './certificate.js';

export type CertificateSignatureCheck = (child: ParsedCertificate, issuer: ParsedCertificate) => boolean;

/** Verifies with our Verifier over the TBS bytes, normalising a high-S ECDSA signature first. */
function withVerifier(provider: CryptoProvider): CertificateSignatureCheck {
  return (child, issuer) => {
    if (child.signatureAlgorithm !== issuer.publicKey.algorithm) return false;
    let signature = child.signature;
    if (child.signatureAlgorithm === 'ecdsa-p256') {
      const raw = tryDecodeSignature(signature);
      if (raw === undefined) return false;
      // (r, s) and (r, n - s) are the same ECDSA signature; our verifier only takes the low one.
      signature = encodeSignature(toLowS(raw, P256_N));
    }
    return provider.verifier(child.signatureAlgorithm).verify(issuer.publicKey.publicKey, child.tbs, signature);
  };
}

/**
 * Native: OpenSSL's X509_verify through node's X509Certificate for ECDSA
 * P-256. SM2-signed certificates go through our SM2 verifier, because node's
 * X509Certificate.verify checks SM2 with an empty user id, not the default one (see SM2.md).
 */
function native(): CertificateSignatureCheck {
  const sm2 = withVerifier(createCryptoProvider('native'));
  return (child, issuer) => {
    if (child.signatureAlgorithm === 'sm2') return sm2(child, issuer);
    if (issuer.publicKey.algorithm !== 'ecdsa-p256') return false;
    return new X509Certificate(child.der).verify(new X509Certificate(issuer.der).publicKey);
  };
}

export function certificateSignatureCheck(engine: Engine): CertificateSignatureCheck {
  return engine === 'native' ? native() : withVerifier(createCryptoProvider('native-free'));
}
