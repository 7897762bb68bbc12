// SM2 digital signatures (GB/T 32918.2-2016) on @noble/curves' Weierstrass
// arithmetic. @noble/curves ships no SM2, and its `ecdsa()` cannot be reused:
// SM2's equations differ from ECDSA's (r = e + x1, s = (1+d)^-1 (k - r d)).
// The SM3 used for Z_A and e is injected, so the native engine can run this
// same (only correct, see src/crypto/SM2.md) SM2 with OpenSSL's SM3.

import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bigIntToBytes, bytesToBigInt } from '../../src/crypto/der.js';
import { POINT_BYTES, SCALAR_BYTES, SM2_CURVE, SM2_DEFAULT_USER_ID } from '../../src/crypto/curves.js';
import type { RawSignature } from '../../src/crypto/signatureDer.js';
import { PointCache } from './pointCache.js';
import { sm3 } from './sm3.js';

/** SM3 of the concatenation of its arguments. */
export type Sm3Function = (...parts: Uint8Array[]) => Uint8Array;

export const Sm2Point = weierstrass<bigint>({
  p: SM2_CURVE.p,
  n: SM2_CURVE.n,
  h: SM2_CURVE.h,
  a: SM2_CURVE.a,
  b: SM2_CURVE.b,
  Gx: SM2_CURVE.Gx,
  Gy: SM2_CURVE.Gy,
});

const defaultKeyCache = new PointCache(Sm2Point);

const N = SM2_CURVE.n;
const mod = (x: bigint, m: bigint): bigint => ((x % m) + m) % m;

/** Curve constants a ‖ b ‖ Gx ‖ Gy, the fixed middle of every Z_A input. */
const CURVE_BYTES = new Uint8Array(4 * SCALAR_BYTES);
[SM2_CURVE.a, SM2_CURVE.b, SM2_CURVE.Gx, SM2_CURVE.Gy].forEach((v, i) => CURVE_BYTES.set(bigIntToBytes(v, SCALAR_BYTES), i * SCALAR_BYTES));

/** Bit length of the id is encoded on 16 bits (ENTL_A). */
const USER_ID_BYTES_MAX = 0xffff >> 3;

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA); `publicKey` is 0x04 ‖ X ‖ Y. */
export function sm2Za(publicKey: Uint8Array, userId: Uint8Array = SM2_DEFAULT_USER_ID, hash: Sm3Function = sm3): Uint8Array {
  if (userId.length > USER_ID_BYTES_MAX) throw new RangeError(`sm2Za: user id longer than ${USER_ID_BYTES_MAX} bytes`);
  if (publicKey.length !== POINT_BYTES || publicKey[0] !== 0x04) {
    throw new RangeError('sm2Za: public key must be an uncompressed SEC1 point');
  }
  const bits = userId.length * 8;
  return hash(Uint8Array.of(bits >> 8, bits & 0xff), userId, CURVE_BYTES, publicKey.subarray(1));
}

/** e = SM3(Z_A ‖ M) as an integer. */
function messageScalar(publicKey: Uint8Array, message: Uint8Array, options: Sm2Options): bigint {
  const hash = options.hash ?? sm3;
  return bytesToBigInt(hash(sm2Za(publicKey, options.userId, hash), message));
}

export interface Sm2Options {
  /** Signer identity that enters Z_A; default "1234567812345678". */
  readonly userId?: Uint8Array;
  /** SM3 implementation; default the pure-JS one. */
  readonly hash?: Sm3Function;
  /** Fixed k, only so the standard's worked example can be checked. Never in production. */
  readonly nonceForTest?: bigint;
  /** Decoded signer keys to reuse across verifications; default: one per thread. */
  readonly keyCache?: PointCache;
}

export function sm2PublicKey(secret: bigint): Uint8Array {
  assertSecret(secret);
  return Sm2Point.BASE.multiply(secret).toBytes(false);
}

function assertSecret(secret: bigint): void {
  // d = n-1 is excluded too: 1 + d would not be invertible.
  if (secret <= 0n || secret >= N - 1n) throw new RangeError('SM2 secret scalar out of range [1, n-2]');
}

/** Uniform k in [1, n-1]: 64 random bytes reduced mod n-1 (bias < 2^-256). */
function randomNonce(): bigint {
  return mod(bytesToBigInt(randomBytes(64)), N - 1n) + 1n;
}

/** Signs `message` with secret d; `publicKey` must be d·G (callers derive it once per key). */
export function sm2Sign(secret: bigint, publicKey: Uint8Array, message: Uint8Array, options: Sm2Options = {}): RawSignature {
  assertSecret(secret);
  const nonceForTest = options.nonceForTest;
  const e = messageScalar(publicKey, message, options);
  const inverseOnePlusD = Sm2Point.Fn.inv(secret + 1n);
  for (;;) {
    const k = nonceForTest ?? randomNonce();
    const x1 = Sm2Point.BASE.multiply(k).toAffine().x;
    const r = mod(e + x1, N);
    if (r === 0n || r + k === N) {
      if (nonceForTest !== undefined) throw new RangeError('sm2Sign: test nonce gives a degenerate r');
      continue;
    }
    const s = mod(inverseOnePlusD * mod(k - r * secret, N), N);
    if (s === 0n) {
      if (nonceForTest !== undefined) throw new RangeError('sm2Sign: test nonce gives s = 0');
      continue;
    }
    return { r, s };
  }
}

/** GB/T 32918.2 section 7: false for any invalid signature or key, never throws on bad input. */
export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: RawSignature, options: Sm2Options = {}): boolean {
  const { r, s } = signature;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const t = mod(r + s, N);
  if (t === 0n) return false;
  const keyCache = options.keyCache ?? defaultKeyCache;
  const key = keyCache.lookup(publicKey);
  if (key === undefined) return false;
  const e = messageScalar(publicKey, message, options);
  // (x1, y1) = [s]G + [t]P_A
  const sum = keyCache.combine(s, key, t);
  if (sum.is0()) return false;
  return mod(e + sum.toAffine().x, N) === r;
}
