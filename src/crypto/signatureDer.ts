// ECDSA/SM2 signatures as DER SEQUENCE { r INTEGER, s INTEGER } (RFC 3279,
// GB/T 35276), and the low-S rule Fabric applies to ECDSA.

import { orderOf } from './curves.js';
import { CryptoEncodingError } from './errors.js';
import type { SignatureAlgorithm } from './types.js';
import { type DerReader, children, decodeUnsignedInteger, readSingle, sequence, Tag, unsignedInteger } from './der.js';

export interface RawSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/** Strict DER parse; throws CryptoEncodingError on anything else (no trailing bytes). */
export function decodeSignature(der: Uint8Array): RawSignature {
  const seq = readSingle(der, Tag.SEQUENCE, 'signature');
  const reader: DerReader = children(seq);
  const r = decodeUnsignedInteger(reader.read(Tag.INTEGER, 'signature r').value, 'signature r');
  const s = decodeUnsignedInteger(reader.read(Tag.INTEGER, 'signature s').value, 'signature s');
  reader.end('signature');
  return { r, s };
}

/** Parse, or undefined when malformed: verifiers answer false, never throw. */
export function tryDecodeSignature(der: Uint8Array): RawSignature | undefined {
  try {
    return decodeSignature(der);
  } catch (error) {
    if (error instanceof CryptoEncodingError) return undefined;
    throw error;
  }
}

export function encodeSignature(signature: RawSignature): Uint8Array {
  return sequence(unsignedInteger(signature.r), unsignedInteger(signature.s));
}

/** r and s in [1, n-1]. */
export function inRange(signature: RawSignature, n: bigint): boolean {
  return signature.r > 0n && signature.r < n && signature.s > 0n && signature.s < n;
}

/** Fabric's rule: s <= n/2 (bccsp/sw/ecdsa.go IsLowS). */
export function isLowS(s: bigint, n: bigint): boolean {
  return s <= n >> 1n;
}

/** The equivalent low-S signature: (r, n - s) verifies the same in plain ECDSA. */
export function toLowS(signature: RawSignature, n: bigint): RawSignature {
  return isLowS(signature.s, n) ? signature : { r: signature.r, s: n - signature.s };
}

/**
 * The one acceptance rule both engines apply before any curve math, so that
 * they accept exactly the same signature encodings: strict DER, r and s in
 * [1, n-1], and for ecdsa-p256 low-S (Fabric rejects high-S as malleable).
 * SM2 has no low-S rule: its s is not malleable by negation.
 */
export function acceptableSignature(algorithm: SignatureAlgorithm, der: Uint8Array): RawSignature | undefined {
  const signature = tryDecodeSignature(der);
  if (signature === undefined) return undefined;
  const n = orderOf(algorithm);
  if (!inRange(signature, n)) return undefined;
  if (algorithm === 'ecdsa-p256' && !isLowS(signature.s, n)) return undefined;
  return signature;
}
