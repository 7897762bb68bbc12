// Our P-256 verification (p256.ts, with per-key tables) must agree with
// @noble/curves' own p256.verify on every input, before and after a key gets
// its table.

import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { p256Verify } from '../../native-free/crypto/p256.js';
import { PointCache } from '../../native-free/crypto/pointCache.js';
import { P256_N } from '../../src/crypto/curves.js';
import { bytesToBigInt } from '../../src/crypto/der.js';

const compactToRaw = (c: Uint8Array) => ({ r: bytesToBigInt(c.subarray(0, 32)), s: bytesToBigInt(c.subarray(32)) });
const nobleVerify = (pub: Uint8Array, msg: Uint8Array, r: bigint, s: bigint): boolean => {
  const compact = Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex');
  try {
    return p256.verify(compact, msg, pub, { prehash: true, lowS: false, format: 'compact' });
  } catch (error) {
    if (error instanceof Error) return false;
    throw error;
  }
};

describe('native-free P-256 verify agrees with @noble/curves p256.verify', () => {
  const keys = Array.from({ length: 3 }, () => p256.keygen());

  it('on valid, tampered and foreign signatures, across the table threshold (property)', () => {
    const cache = new PointCache(p256.Point, 2); // tiny: also exercises eviction
    fc.assert(
      fc.property(
        fc.nat(2),
        fc.nat(2),
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom('valid', 'flip-r', 'flip-s', 'high-s', 'other-msg'),
        (signerIndex, verifierIndex, msg, mutation) => {
          const { secretKey } = keys[signerIndex]!;
          const pub = keys[verifierIndex]!.publicKey;
          const uncompressed = p256.Point.fromBytes(pub).toBytes(false);
          let { r, s } = compactToRaw(p256.sign(msg, secretKey, { prehash: true, lowS: true, format: 'compact' }));
          if (mutation === 'flip-r') r ^= 1n;
          if (mutation === 'flip-s') s ^= 1n;
          if (mutation === 'high-s') s = P256_N - s; // valid ECDSA: the low-S rule is the caller's
          const checked = mutation === 'other-msg' ? Uint8Array.of(...msg, 1) : msg;
          if (r === 0n || r >= P256_N || s === 0n || s >= P256_N) return;
          expect(p256Verify(uncompressed, checked, { r, s }, cache)).toBe(nobleVerify(uncompressed, checked, r, s));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives the same answers once a key has its table as before', () => {
    const cache = new PointCache(p256.Point);
    const { secretKey, publicKey } = keys[0]!;
    const pub = p256.Point.fromBytes(publicKey).toBytes(false);
    for (let i = 0; i < 10; i++) {
      const msg = Uint8Array.of(i);
      const sig = compactToRaw(p256.sign(msg, secretKey, { prehash: true, format: 'compact' }));
      expect(p256Verify(pub, msg, sig, cache), `use ${i}`).toBe(true);
      expect(p256Verify(pub, Uint8Array.of(i + 1), sig, cache), `use ${i}, wrong message`).toBe(false);
    }
    expect(cache.lookup(pub)!.hasTable).toBe(true);
  });

  it('refuses keys that are not points, without throwing', () => {
    const sig = { r: 1n, s: 1n };
    expect(p256Verify(new Uint8Array(65), Uint8Array.of(1), sig)).toBe(false);
    expect(p256Verify(Uint8Array.of(4, ...new Uint8Array(64).fill(1)), Uint8Array.of(1), sig)).toBe(false);
  });
});
