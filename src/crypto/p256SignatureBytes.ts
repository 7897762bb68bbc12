// The acceptance rule of signatureDer.acceptableSignature for ecdsa-p256 —
// strict DER, r and s in [1, n-1], low-S — decided on the bytes, without
// building bigints. The native verifier hands the DER to OpenSSL as is, so on
// its hot path r and s were parsed into bigints only to be range-checked (~2%
// of a worker's time). A property test holds this equal to acceptableSignature.

import { bigIntToBytes } from './der.js';
import { P256_N } from './curves.js';

const SCALAR_BYTES = 32;
const N_BYTES = bigIntToBytes(P256_N, SCALAR_BYTES);
const HALF_N_BYTES = bigIntToBytes(P256_N >> 1n, SCALAR_BYTES);
const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;

/**
 * True when `der` is a signature acceptableSignature('ecdsa-p256', der) would
 * accept. A valid one is at most 72 bytes, so every length is short-form: a
 * long-form length is either non-minimal or carries an integer beyond n, and
 * both are refused by the strict path too.
 */
export function isAcceptableP256Signature(der: Uint8Array): boolean {
  const length = der.length;
  if (length < 2 || der[0] !== TAG_SEQUENCE || der[1]! >= 0x80 || 2 + der[1]! !== length) return false;
  const rEnd = integerEnd(der, 2, length);
  if (rEnd < 0 || !inRange(der, 2, rEnd, N_BYTES, false)) return false;
  const sEnd = integerEnd(der, rEnd, length);
  // s <= n/2 (Fabric's low-S rule) implies s < n.
  return sEnd === length && inRange(der, rEnd, sEnd, HALF_N_BYTES, true);
}

/** End of the INTEGER element at `at` (which must end by `limit`) if its encoding is strict and unsigned; else -1. */
function integerEnd(der: Uint8Array, at: number, limit: number): number {
  if (at + 2 > limit || der[at] !== TAG_INTEGER) return -1;
  const contentLength = der[at + 1]!;
  const start = at + 2;
  const end = start + contentLength;
  if (contentLength === 0 || contentLength >= 0x80 || end > limit) return -1;
  const first = der[start]!;
  if (first & 0x80) return -1; // negative
  if (contentLength > 1 && first === 0 && !(der[start + 1]! & 0x80)) return -1; // non-minimal
  return end;
}

/**
 * For the strict INTEGER element der[at, end): 0 < value and value < bound
 * (value <= bound when `inclusive`), comparing big-endian magnitudes.
 */
function inRange(der: Uint8Array, at: number, end: number, bound: Uint8Array, inclusive: boolean): boolean {
  let start = at + 2;
  if (der[start] === 0) start++; // the sign padding of a strict encoding, or the value 0
  const magnitude = end - start;
  if (magnitude === 0) return false; // zero
  if (magnitude < SCALAR_BYTES) return true; // nonzero, and shorter than the bound, whose first byte is nonzero
  if (magnitude > SCALAR_BYTES) return false;
  for (let i = 0; i < SCALAR_BYTES; i++) {
    const a = der[start + i]!;
    const b = bound[i]!;
    if (a !== b) return a < b;
  }
  return inclusive;
}
