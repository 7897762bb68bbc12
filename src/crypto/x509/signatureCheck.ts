// "Did `issuer` sign `child`?" for each engine, over what parseCertificate
// read: the engine's Verifier over the TBS bytes with the issuer's key. No
// second X.509 reader is involved (node's X509Certificate would re-parse the
// DER with OpenSSL, which may refuse what was accepted, and throw), so a
// certificate is read once, by parseCertificate, and refused there.
//
// Certificate signatures follow X.509, not Fabric's transaction rule: a CA's
// high-S ECDSA signature is valid (Go's crypto/x509 and OpenSSL accept it), so
// it is normalised to low-S before the Verifier (which takes only low-S) sees it.

import { P256_N } from '../curves.js';
import { createCryptoProvider } from '../provider.js';
import { encodeSignature, toLowS, tryDecodeSignature } from '../signatureDer.js';
import type { CryptoProvider, Engine } from '../types.js';
import type { ParsedCertificate } from './certificate.js';

export type CertificateSignatureCheck = (child: ParsedCertificate, issuer: ParsedCertificate) => boolean;

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

/** The native engine checks with OpenSSL's ECDSA (and our SM2, see SM2.md); native-free with @noble/curves. */
export function certificateSignatureCheck(engine: Engine): CertificateSignatureCheck {
  return withVerifier(createCryptoProvider(engine));
}
