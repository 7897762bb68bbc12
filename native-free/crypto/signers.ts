// Pure-JS signatures: ECDSA P-256 signing from @noble/curves (SHA-256
// prehash, deterministic RFC 6979 nonces, low-S), verification in p256.ts on
// noble's arithmetic, and SM2 from sm2.ts.

import { p256 } from '@noble/curves/nist.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToBigInt } from '../../src/crypto/der.js';
import { P256_N, SCALAR_BYTES, SM2_CURVE } from '../../src/crypto/curves.js';
import { checkEmbeddedPublicKey, checkSecretRange, encodePkcs8Pem, randomSecret, resolvePrivateKey } from '../../src/crypto/keys.js';
import { acceptableSignature, encodeSignature, toLowS } from '../../src/crypto/signatureDer.js';
import type { KeyPairSigner, PrivateKeyInput, SignatureAlgorithm, Verifier } from '../../src/crypto/types.js';
import { p256Verify } from './p256.js';
import { sm2PublicKey, sm2Sign, sm2Verify } from './sm2.js';

const p256Verifier: Verifier = {
  algorithm: 'ecdsa-p256',
  verify(publicKey, message, signature) {
    const sig = acceptableSignature('ecdsa-p256', signature);
    return sig !== undefined && p256Verify(publicKey, message, sig);
  },
};

const sm2Verifier: Verifier = {
  algorithm: 'sm2',
  verify(publicKey, message, signature) {
    const sig = acceptableSignature('sm2', signature);
    return sig !== undefined && sm2Verify(publicKey, message, sig);
  },
};

export function nativeFreeVerifier(algorithm: SignatureAlgorithm): Verifier {
  return algorithm === 'ecdsa-p256' ? p256Verifier : sm2Verifier;
}

function p256Signer(secret: Uint8Array, publicKey: Uint8Array): KeyPairSigner {
  return {
    algorithm: 'ecdsa-p256',
    publicKey,
    sign(message) {
      const compact = p256.sign(message, secret, { prehash: true, lowS: true, format: 'compact' });
      const raw = { r: bytesToBigInt(compact.subarray(0, SCALAR_BYTES)), s: bytesToBigInt(compact.subarray(SCALAR_BYTES)) };
      return encodeSignature(toLowS(raw, P256_N));
    },
    exportPrivateKeyPem: () => encodePkcs8Pem('ecdsa-p256', secret, publicKey),
  };
}

function sm2Signer(secret: Uint8Array, publicKey: Uint8Array): KeyPairSigner {
  const d = bytesToBigInt(secret);
  return {
    algorithm: 'sm2',
    publicKey,
    sign: (message) => encodeSignature(sm2Sign(d, publicKey, message)),
    exportPrivateKeyPem: () => encodePkcs8Pem('sm2', secret, publicKey),
  };
}

export function nativeFreeSignerFromPrivateKey(algorithm: SignatureAlgorithm, key: PrivateKeyInput): KeyPairSigner {
  const resolved = resolvePrivateKey(algorithm, key);
  const d = bytesToBigInt(resolved.secret);
  checkSecretRange(algorithm, d, algorithm === 'sm2' ? SM2_CURVE.n : P256_N);
  const publicKey = algorithm === 'sm2' ? sm2PublicKey(d) : p256.getPublicKey(resolved.secret, false);
  checkEmbeddedPublicKey(resolved, publicKey);
  return algorithm === 'sm2' ? sm2Signer(resolved.secret, publicKey) : p256Signer(resolved.secret, publicKey);
}

export function nativeFreeGenerateSigner(algorithm: SignatureAlgorithm): KeyPairSigner {
  return nativeFreeSignerFromPrivateKey(algorithm, randomSecret(algorithm === 'sm2' ? SM2_CURVE.n : P256_N, randomBytes));
}
