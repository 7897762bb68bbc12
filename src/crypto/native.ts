// The native crypto engine on node:crypto (OpenSSL 3 in Node 20).
//
// SM2 is the exception: node:crypto cannot compute GB/T 32918 SM2 with the
// standard user id (a key it generates signs ECDSA, a key it reads from PEM
// signs SM2 with an empty user id: SM2.md, asserted in
// test/crypto/sm2KeyKinds.test.ts), so the native engine runs the native-free
// SM2 curve code, with OpenSSL's SM3.

import crypto, { type KeyObject } from 'node:crypto';
import { nativeFreeHasher } from '../../native-free/crypto/hashers.js';
import { sm2PublicKey, sm2Sign, sm2Verify, type Sm3Function } from '../../native-free/crypto/sm2.js';
import { P256_N, SM2_CURVE } from './curves.js';
import { bytesToBigInt } from './der.js';
import { checkEmbeddedPublicKey, checkSecretRange, encodePkcs8, encodePkcs8Pem, encodeSpki, randomSecret, resolvePrivateKey } from './keys.js';
import { BytesKeyedLru } from './bytesKeyedLru.js';
import { isAcceptableP256Signature } from './p256SignatureBytes.js';
import { acceptableSignature, decodeSignature, encodeSignature, toLowS } from './signatureDer.js';
import type { CryptoProvider, HashAlgorithm, Hasher, KeyPairSigner, PrivateKeyInput, SignatureAlgorithm, Verifier } from './types.js';

function makeHasher(algorithm: HashAlgorithm): Hasher {
  return {
    algorithm,
    digest(...parts) {
      const h = crypto.createHash(algorithm);
      for (const part of parts) h.update(part);
      return new Uint8Array(h.digest());
    },
  };
}

/**
 * OpenSSL builds without SM3 exist (FIPS-only providers); Node 20's bundled
 * OpenSSL has it. Without it the native engine falls back to our SM3 rather
 * than failing on the first GM channel.
 */
export const OPENSSL_HAS_SM3 = crypto.getHashes().includes('sm3');

const HASHERS: Readonly<Record<HashAlgorithm, Hasher>> = {
  sha256: makeHasher('sha256'),
  sm3: OPENSSL_HAS_SM3 ? makeHasher('sm3') : nativeFreeHasher('sm3'),
};

const nativeSm3: Sm3Function = (...parts) => HASHERS.sm3.digest(...parts);

/**
 * Parsed public keys, by their point bytes: building a KeyObject costs about
 * 200 µs (measured on the bench machine, ~3 verifies), and a channel sees few
 * distinct creators.
 */
const P256_KEY_CACHE_ENTRIES_MAX = 4096;

class P256NativeVerifier implements Verifier {
  readonly algorithm = 'ecdsa-p256' as const;
  readonly #keys = new BytesKeyedLru<KeyObject | null>(P256_KEY_CACHE_ENTRIES_MAX);

  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    // OpenSSL takes the DER as is: decide Fabric's acceptance rule on the bytes, no bigints.
    if (!isAcceptableP256Signature(signature)) return false;
    const key = this.#keyObject(publicKey);
    if (key === null) return false;
    return crypto.verify('sha256', message, key, signature);
  }

  verifyOffThread(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (!isAcceptableP256Signature(signature)) return Promise.resolve(false);
    const key = this.#keyObject(publicKey);
    if (key === null) return Promise.resolve(false);
    // With a callback node:crypto verifies on libuv's thread pool; an OpenSSL error is a failed check, as in verify.
    return new Promise((resolve) => crypto.verify('sha256', message, key, signature, (err, ok) => resolve(err === null && ok)));
  }

  /** null caches "not a P-256 point" so a bad key costs one parse only. */
  #keyObject(publicKey: Uint8Array): KeyObject | null {
    const cached = this.#keys.get('', publicKey);
    if (cached !== undefined) return cached;
    let key: KeyObject | null;
    try {
      key = crypto.createPublicKey({ key: Buffer.from(encodeSpki('ecdsa-p256', publicKey)), format: 'der', type: 'spki' });
    } catch (error) {
      // encodeSpki throws CryptoEncodingError on a wrong-size key, OpenSSL on a point off the curve.
      if (!(error instanceof Error)) throw error;
      key = null;
    }
    this.#keys.set('', publicKey, key);
    return key;
  }
}

const sm2NativeVerifier: Verifier = {
  algorithm: 'sm2',
  verify(publicKey, message, signature) {
    const sig = acceptableSignature('sm2', signature);
    return sig !== undefined && sm2Verify(publicKey, message, sig, { hash: nativeSm3 });
  },
};

function p256NativeSigner(secret: Uint8Array, publicKey: Uint8Array): KeyPairSigner {
  const key = crypto.createPrivateKey({ key: Buffer.from(encodePkcs8('ecdsa-p256', secret, publicKey)), format: 'der', type: 'pkcs8' });
  return {
    algorithm: 'ecdsa-p256',
    publicKey,
    sign(message) {
      // OpenSSL does not normalise s; Fabric verifiers refuse high-S, so flip it.
      const der = crypto.sign('sha256', message, key);
      return encodeSignature(toLowS(decodeSignature(der), P256_N));
    },
    exportPrivateKeyPem: () => encodePkcs8Pem('ecdsa-p256', secret, publicKey),
  };
}

function sm2NativeSigner(secret: Uint8Array, publicKey: Uint8Array): KeyPairSigner {
  const d = bytesToBigInt(secret);
  return {
    algorithm: 'sm2',
    publicKey,
    sign: (message) => encodeSignature(sm2Sign(d, publicKey, message, { hash: nativeSm3 })),
    exportPrivateKeyPem: () => encodePkcs8Pem('sm2', secret, publicKey),
  };
}

function p256PublicKeyOf(secret: Uint8Array): Uint8Array {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(secret);
  return new Uint8Array(ecdh.getPublicKey());
}

function signerFromPrivateKey(algorithm: SignatureAlgorithm, key: PrivateKeyInput): KeyPairSigner {
  const resolved = resolvePrivateKey(algorithm, key);
  const d = bytesToBigInt(resolved.secret);
  checkSecretRange(algorithm, d, algorithm === 'sm2' ? SM2_CURVE.n : P256_N);
  const publicKey = algorithm === 'sm2' ? sm2PublicKey(d) : p256PublicKeyOf(resolved.secret);
  checkEmbeddedPublicKey(resolved, publicKey);
  return algorithm === 'sm2' ? sm2NativeSigner(resolved.secret, publicKey) : p256NativeSigner(resolved.secret, publicKey);
}

function generateSigner(algorithm: SignatureAlgorithm): KeyPairSigner {
  return signerFromPrivateKey(algorithm, randomSecret(algorithm === 'sm2' ? SM2_CURVE.n : P256_N, crypto.randomBytes));
}

export function createNativeCryptoProvider(): CryptoProvider {
  // One verifier per provider: it owns a bounded key cache.
  const verifiers: Readonly<Record<SignatureAlgorithm, Verifier>> = {
    'ecdsa-p256': new P256NativeVerifier(),
    sm2: sm2NativeVerifier,
  };
  return {
    engine: 'native',
    hasher: (algorithm) => HASHERS[algorithm],
    verifier: (algorithm) => verifiers[algorithm],
    signerFromPrivateKey,
    generateSigner,
  };
}
