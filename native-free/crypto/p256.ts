// ECDSA P-256 verification (SEC 1 v2 4.1.4) over @noble/curves' P-256 point
// arithmetic. noble's own p256.verify is correct but decodes the key and runs
// a Strauss–Shamir u1·G + u2·Q afresh on every call; with a per-key table
// (PointCache) repeat signers verify ~3x faster. test/crypto/p256.test.ts
// keeps this equal to p256.verify.

import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { P256_N } from '../../src/crypto/curves.js';
import { bytesToBigInt } from '../../src/crypto/der.js';
import type { RawSignature } from '../../src/crypto/signatureDer.js';
import { PointCache } from './pointCache.js';

const defaultKeyCache = new PointCache(p256.Point);

/**
 * True iff (r, s) is an ECDSA signature of SHA-256(message) under `publicKey`.
 * The caller has checked r, s in [1, n-1] (acceptableSignature); no low-S rule here.
 */
export function p256Verify(publicKey: Uint8Array, message: Uint8Array, signature: RawSignature, keyCache: PointCache = defaultKeyCache): boolean {
  const { r, s } = signature;
  if (r <= 0n || r >= P256_N || s <= 0n || s >= P256_N) return false;
  const key = keyCache.lookup(publicKey);
  if (key === undefined) return false;
  // bits2int: SHA-256 output and n are both 256 bits, so no truncation.
  const e = bytesToBigInt(sha256(message)) % P256_N;
  const w = p256.Point.Fn.inv(s);
  const u1 = (e * w) % P256_N;
  const u2 = (r * w) % P256_N;
  const point = keyCache.combine(u1, key, u2);
  if (point.is0()) return false;
  return point.toAffine().x % P256_N === r;
}
