// Curve constants both engines need (order n for the low-S rule, the SM2
// parameters that enter Z_A) and the OIDs that name them in keys and certs.

import type { SignatureAlgorithm } from './types.js';

/** P-256 (secp256r1, prime256v1) group order. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** SM2 recommended curve, GB/T 32918.5-2017. */
export const SM2_CURVE = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
} as const;

/** Default SM2 signer id (GB/T 35276), as Fabric GM forks and OpenSSL use. */
export const SM2_DEFAULT_USER_ID = new TextEncoder().encode('1234567812345678');

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  sm2Curve: '1.2.156.10197.1.301',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sm2WithSm3: '1.2.156.10197.1.501',
} as const;

/** Field element / scalar size of both curves. */
export const SCALAR_BYTES = 32;
/** Uncompressed SEC1 point: 0x04 ‖ X ‖ Y. */
export const POINT_BYTES = 65;

export function curveOidOf(algorithm: SignatureAlgorithm): string {
  return algorithm === 'ecdsa-p256' ? OID.prime256v1 : OID.sm2Curve;
}

export function algorithmOfCurveOid(curveOid: string): SignatureAlgorithm | undefined {
  if (curveOid === OID.prime256v1) return 'ecdsa-p256';
  if (curveOid === OID.sm2Curve) return 'sm2';
  return undefined;
}

export function signatureOidOf(algorithm: SignatureAlgorithm): string {
  return algorithm === 'ecdsa-p256' ? OID.ecdsaWithSha256 : OID.sm2WithSm3;
}

export function orderOf(algorithm: SignatureAlgorithm): bigint {
  return algorithm === 'ecdsa-p256' ? P256_N : SM2_CURVE.n;
}
