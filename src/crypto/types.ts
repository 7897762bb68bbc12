// Crypto interfaces shared by both engines (`native` on node:crypto,
// `native-free` on @noble/*). Implementations live in src/crypto/ and native-free/.

/** Which implementation family provides crypto, storage and codecs. */
export type Engine = 'native' | 'native-free';

export type HashAlgorithm = 'sha256' | 'sm3';

export type SignatureAlgorithm = 'ecdsa-p256' | 'sm2';

export interface Hasher {
  readonly algorithm: HashAlgorithm;
  /**
   * Digest of the concatenation of `parts` (avoids copying them into one
   * buffer). Returns a fresh array the caller owns; `parts` are not retained.
   */
  digest(...parts: Uint8Array[]): Uint8Array;
}

/**
 * Verifies signatures over a message. The verifier hashes the message itself
 * (SHA-256 for ecdsa-p256, SM3 over Z_A ‖ message for sm2), as Fabric does.
 */
export interface Verifier {
  readonly algorithm: SignatureAlgorithm;
  /**
   * `publicKey` is an uncompressed SEC1 point (0x04 ‖ X ‖ Y). `signature` is DER.
   * Returns false for a well-formed but wrong signature and for malformed input;
   * never throws for bad input. ecdsa-p256 rejects high-S signatures (as Fabric).
   * Inputs are not retained (key caches copy what they keep).
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * The same check run off the calling thread (native: node:crypto's callback
   * form, on libuv's thread pool), so many run in parallel with the caller's
   * work; absent where verification is JavaScript on the caller's thread.
   * The inputs must not change until it settles; it never rejects for bad input.
   */
  verifyOffThread?(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** Uncompressed SEC1 point of the signing key. */
  readonly publicKey: Uint8Array;
  /** DER signature over `message` (ecdsa-p256: low-S); a fresh array the caller owns. */
  sign(message: Uint8Array): Uint8Array;
}

/** Hash each signature algorithm digests with (SM2: over Z_A ‖ message). */
export const HASH_OF: Readonly<Record<SignatureAlgorithm, HashAlgorithm>> = {
  'ecdsa-p256': 'sha256',
  sm2: 'sm3',
};

/**
 * A private key as given by an operator: PKCS#8 PEM ("PRIVATE KEY", as in a
 * Fabric MSP keystore; "EC PRIVATE KEY" accepted too) or the raw 32-byte
 * big-endian secret scalar.
 */
export type PrivateKeyInput = string | Uint8Array;

/** A signer whose key the caller may persist (`orderer keygen`). */
export interface KeyPairSigner extends Signer {
  /** PKCS#8 PEM of the private key. Handle as a secret. */
  exportPrivateKeyPem(): string;
}

/**
 * One engine's crypto. Objects returned are stateless or internally bounded,
 * safe to share and to keep for the life of the process.
 */
export interface CryptoProvider {
  readonly engine: Engine;
  hasher(algorithm: HashAlgorithm): Hasher;
  verifier(algorithm: SignatureAlgorithm): Verifier;
  /** Throws CryptoEncodingError / UnsupportedAlgorithmError for a bad or mismatched key. */
  signerFromPrivateKey(algorithm: SignatureAlgorithm, key: PrivateKeyInput): KeyPairSigner;
  generateSigner(algorithm: SignatureAlgorithm): KeyPairSigner;
}
