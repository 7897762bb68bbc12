// The byte-level P-256 acceptance check must decide exactly as the bigint path
// (acceptableSignature: strict DER, r and s in [1, n-1], low-S) on any input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P256_N } from '../../src/crypto/curves.js';
import { isAcceptableP256Signature } from '../../src/crypto/p256SignatureBytes.js';
import { acceptableSignature, encodeSignature } from '../../src/crypto/signatureDer.js';
import { ENGINES, provider } from './engines.js';

const HALF_N = P256_N >> 1n;
const bigintPath = (der: Uint8Array): boolean => acceptableSignature('ecdsa-p256', der) !== undefined;

/** Values either side of every bound the rule has, and far beyond them. */
const edgeScalar = fc.oneof(
  fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, HALF_N - 1n, HALF_N, HALF_N + 1n, P256_N - 1n, P256_N, P256_N + 1n, (1n << 256n) - 1n, 1n << 256n),
  fc.bigInt({ min: 0n, max: (1n << 264n) - 1n }),
  fc.bigInt({ min: 1n, max: P256_N - 1n }),
);

const signatures = ENGINES.flatMap((engine) => {
  const signer = provider(engine).generateSigner('ecdsa-p256');
  return Array.from({ length: 4 }, (_, i) => signer.sign(Uint8Array.of(i)));
});

/** One of the engines' real signatures, changed by a few byte edits, cuts or additions. */
const mutatedSignature = fc
  .tuple(
    fc.constantFrom(...signatures),
    fc.array(fc.tuple(fc.nat({ max: 79 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.nat({ max: 3 }),
    fc.uint8Array({ maxLength: 2 }),
  )
  .map(([signature, edits, cut, extra]) => {
    const bytes = Uint8Array.from(signature);
    for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
    return Uint8Array.from([...bytes.subarray(0, bytes.length - cut), ...extra]);
  });

describe('isAcceptableP256Signature', () => {
  it('accepts the engines’ own (low-S) signatures and refuses their high-S twins', () => {
    for (const der of signatures) {
      expect(isAcceptableP256Signature(der)).toBe(true);
      const { r, s } = acceptableSignature('ecdsa-p256', der)!;
      expect(isAcceptableP256Signature(encodeSignature({ r, s: P256_N - s }))).toBe(false);
    }
  });

  it('decides as the bigint path for every (r, s) around the bounds, however encoded', () => {
    fc.assert(
      fc.property(edgeScalar, edgeScalar, (r, s) => {
        const der = encodeSignature({ r, s });
        expect(isAcceptableP256Signature(der)).toBe(bigintPath(der));
      }),
      { numRuns: 2000 },
    );
  });

  it('decides as the bigint path for mutated signatures (non-minimal, negative, truncated, trailing bytes...)', () => {
    fc.assert(
      fc.property(mutatedSignature, (der) => {
        expect(isAcceptableP256Signature(der)).toBe(bigintPath(der));
      }),
      { numRuns: 3000 },
    );
  });

  it('decides as the bigint path for arbitrary bytes that start like a SEQUENCE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
        const der = Uint8Array.from([0x30, tail.length, ...tail]);
        expect(isAcceptableP256Signature(der)).toBe(bigintPath(der));
        expect(isAcceptableP256Signature(tail)).toBe(bigintPath(tail));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a redundant leading zero and a negative r, as strict DER does', () => {
    const valid = signatures[0]!;
    const { r, s } = acceptableSignature('ecdsa-p256', valid)!;
    const rHex = r.toString(16).padStart(64, '0');
    const sDer = encodeSignature({ r: 1n, s }).subarray(5); // the s INTEGER element after SEQUENCE and r = 1
    const withR = (rContent: string): Uint8Array => {
      const rBytes = Buffer.from(rContent, 'hex');
      const body = [0x02, rBytes.length, ...rBytes, ...sDer];
      return Uint8Array.from([0x30, body.length, ...body]);
    };
    expect(isAcceptableP256Signature(withR(rHex.replace(/^(00)*/, '')))).toBe(bigintPath(withR(rHex.replace(/^(00)*/, ''))));
    const padded = withR(`0000${rHex.replace(/^(00)*/, '')}`);
    expect([isAcceptableP256Signature(padded), bigintPath(padded)]).toEqual([false, false]);
    const negative = withR(`ff${rHex}`);
    expect([isAcceptableP256Signature(negative), bigintPath(negative)]).toEqual([false, false]);
  });
});
