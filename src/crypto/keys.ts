// EC key encodings both engines share: PKCS#8 / SEC1 private keys (RFC 5915,
// RFC 5958) and SubjectPublicKeyInfo (RFC 5480), for P-256 and SM2. Pure DER
// so that the native-free engine can use it as well.

import { algorithmOfCurveOid, curveOidOf, OID, POINT_BYTES, SCALAR_BYTES } from './curves.js';
import {
  bigIntToBytes,
  bitString,
  bytesToBigInt,
  children,
  decodeBitStringBytes,
  decodeOid,
  decodeUnsignedInteger,
  explicit,
  octetString,
  oid,
  readSingle,
  sequence,
  Tag,
  unsignedInteger,
  type DerElement,
} from './der.js';
import { CryptoEncodingError, UnsupportedAlgorithmError } from './errors.js';
import { decodePem, encodePem } from './pem.js';
import type { SignatureAlgorithm } from './types.js';

export interface PrivateKeyInfo {
  readonly algorithm: SignatureAlgorithm;
  /** Big-endian secret scalar, SCALAR_BYTES long. */
  readonly secret: Uint8Array;
  /** Uncompressed point when the encoding carried it (it is optional in RFC 5915). */
  readonly publicKey: Uint8Array | undefined;
}

export interface PublicKeyInfo {
  readonly algorithm: SignatureAlgorithm;
  /** Uncompressed SEC1 point 0x04 ‖ X ‖ Y. */
  readonly publicKey: Uint8Array;
}

/**
 * AlgorithmIdentifier of an EC key: id-ecPublicKey with a named curve. The SM2
 * key OID in the first position (as some GM tools write) is accepted too.
 */
function readKeyAlgorithm(element: DerElement, what: string): SignatureAlgorithm {
  const reader = children(element);
  const keyOid = decodeOid(reader.read(Tag.OID, `${what} algorithm`).value);
  if (keyOid !== OID.ecPublicKey && keyOid !== OID.sm2Curve) {
    throw new UnsupportedAlgorithmError(`${what}: key algorithm ${keyOid} is not an EC key (only P-256 and SM2 are supported)`);
  }
  const curveElement = reader.readOptional(Tag.OID, `${what} curve`);
  const curveOid = curveElement ? decodeOid(curveElement.value) : keyOid;
  const algorithm = algorithmOfCurveOid(curveOid);
  if (algorithm === undefined) {
    throw new UnsupportedAlgorithmError(`${what}: curve ${curveOid} is not supported (only P-256 and SM2)`);
  }
  return algorithm;
}

function checkPoint(point: Uint8Array, what: string): Uint8Array {
  if (point.length !== POINT_BYTES || point[0] !== 0x04) {
    throw new CryptoEncodingError(`${what}: public key must be an uncompressed ${POINT_BYTES}-byte point`);
  }
  return point;
}

/** ECPrivateKey (RFC 5915); `fallback` is the curve from PKCS#8 when params are absent. */
function readEcPrivateKey(der: Uint8Array, fallback: SignatureAlgorithm | undefined): PrivateKeyInfo {
  const reader = children(readSingle(der, Tag.SEQUENCE, 'ECPrivateKey'));
  if (decodeUnsignedInteger(reader.read(Tag.INTEGER, 'ECPrivateKey version').value) !== 1n) {
    throw new CryptoEncodingError('ECPrivateKey: version must be 1');
  }
  const secret = reader.read(Tag.OCTET_STRING, 'ECPrivateKey secret').value;
  if (secret.length !== SCALAR_BYTES) throw new CryptoEncodingError(`ECPrivateKey: secret must be ${SCALAR_BYTES} bytes`);
  let algorithm = fallback;
  const params = reader.readOptional(0xa0, 'ECPrivateKey parameters');
  if (params) {
    const curveOid = decodeOid(readSingle(params.value, Tag.OID, 'ECPrivateKey curve').value);
    algorithm = algorithmOfCurveOid(curveOid);
    if (algorithm === undefined) throw new UnsupportedAlgorithmError(`ECPrivateKey: curve ${curveOid} is not supported`);
  }
  if (algorithm === undefined) throw new CryptoEncodingError('ECPrivateKey names no curve');
  const pub = reader.readOptional(0xa1, 'ECPrivateKey public key');
  const publicKey = pub ? checkPoint(decodeBitStringBytes(readSingle(pub.value, Tag.BIT_STRING, 'ECPrivateKey public key').value), 'ECPrivateKey') : undefined;
  return { algorithm, secret: Uint8Array.from(secret), publicKey: publicKey && Uint8Array.from(publicKey) };
}

/** PKCS#8 PrivateKeyInfo DER. */
export function decodePkcs8(der: Uint8Array): PrivateKeyInfo {
  const reader = children(readSingle(der, Tag.SEQUENCE, 'PKCS#8 key'));
  const version = decodeUnsignedInteger(reader.read(Tag.INTEGER, 'PKCS#8 version').value);
  if (version !== 0n && version !== 1n) throw new CryptoEncodingError(`PKCS#8: unknown version ${version}`);
  const algorithm = readKeyAlgorithm(reader.read(Tag.SEQUENCE, 'PKCS#8 algorithm'), 'PKCS#8 key');
  return readEcPrivateKey(reader.read(Tag.OCTET_STRING, 'PKCS#8 private key').value, algorithm);
}

/** "PRIVATE KEY" (PKCS#8, as Fabric's keystore) or "EC PRIVATE KEY" (SEC1) PEM. */
export function decodePrivateKeyPem(pem: string): PrivateKeyInfo {
  const block = decodePem(pem, ['PRIVATE KEY', 'EC PRIVATE KEY'], 'private key PEM');
  return block.label === 'PRIVATE KEY' ? decodePkcs8(block.der) : readEcPrivateKey(block.der, undefined);
}

export function encodePkcs8(algorithm: SignatureAlgorithm, secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secret.length !== SCALAR_BYTES) throw new RangeError(`encodePkcs8: secret must be ${SCALAR_BYTES} bytes`);
  checkPoint(publicKey, 'encodePkcs8');
  const ecPrivateKey = sequence(unsignedInteger(1n), octetString(secret), explicit(1, bitString(publicKey)));
  return sequence(unsignedInteger(0n), sequence(oid(OID.ecPublicKey), oid(curveOidOf(algorithm))), octetString(ecPrivateKey));
}

export const encodePkcs8Pem = (algorithm: SignatureAlgorithm, secret: Uint8Array, publicKey: Uint8Array): string =>
  encodePem('PRIVATE KEY', encodePkcs8(algorithm, secret, publicKey));

/** SubjectPublicKeyInfo DER (also the SPKI inside an X.509 certificate). */
export function decodeSpki(spki: DerElement | Uint8Array): PublicKeyInfo {
  const element = spki instanceof Uint8Array ? readSingle(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo') : spki;
  const reader = children(element);
  const algorithm = readKeyAlgorithm(reader.read(Tag.SEQUENCE, 'SubjectPublicKeyInfo algorithm'), 'public key');
  const point = decodeBitStringBytes(reader.read(Tag.BIT_STRING, 'SubjectPublicKeyInfo key').value, 'public key');
  reader.end('SubjectPublicKeyInfo');
  return { algorithm, publicKey: Uint8Array.from(checkPoint(point, 'SubjectPublicKeyInfo')) };
}

export function encodeSpki(algorithm: SignatureAlgorithm, publicKey: Uint8Array): Uint8Array {
  checkPoint(publicKey, 'encodeSpki');
  return sequence(sequence(oid(OID.ecPublicKey), oid(curveOidOf(algorithm))), bitString(publicKey));
}

/** A raw scalar given as bytes must be exactly SCALAR_BYTES long. */
export function checkRawSecret(secret: Uint8Array): Uint8Array {
  if (secret.length !== SCALAR_BYTES) {
    throw new CryptoEncodingError(`raw private key must be ${SCALAR_BYTES} bytes, got ${secret.length}`);
  }
  return secret;
}

export interface ResolvedPrivateKey {
  readonly secret: Uint8Array;
  /** Public key carried by the encoding, to be checked against the derived one. */
  readonly embeddedPublicKey: Uint8Array | undefined;
}

/** Decodes a PrivateKeyInput and checks it is a key for `algorithm`. */
export function resolvePrivateKey(algorithm: SignatureAlgorithm, key: string | Uint8Array): ResolvedPrivateKey {
  if (typeof key !== 'string') return { secret: Uint8Array.from(checkRawSecret(key)), embeddedPublicKey: undefined };
  const info = decodePrivateKeyPem(key);
  if (info.algorithm !== algorithm) {
    throw new UnsupportedAlgorithmError(`private key is for ${info.algorithm}, expected ${algorithm}`);
  }
  return { secret: info.secret, embeddedPublicKey: info.publicKey };
}

/** Secret scalar must be in [1, n-1] (SM2: [1, n-2], as 1 + d must be invertible). */
export function checkSecretRange(algorithm: SignatureAlgorithm, secret: bigint, n: bigint): void {
  const max = algorithm === 'sm2' ? n - 2n : n - 1n;
  if (secret < 1n || secret > max) throw new CryptoEncodingError(`${algorithm} private key scalar is out of range`);
}

/** A key whose embedded public half does not match its secret is corrupt. */
export function checkEmbeddedPublicKey(resolved: ResolvedPrivateKey, derived: Uint8Array): void {
  const embedded = resolved.embeddedPublicKey;
  if (embedded !== undefined && Buffer.compare(embedded, derived) !== 0) {
    throw new CryptoEncodingError('private key PEM carries a public key that does not match its secret');
  }
}

/**
 * A uniformly random secret scalar in [1, n-2] (valid for both curves, see
 * checkSecretRange): 64 random bytes reduced mod n-2, bias below 2^-256.
 * `randomBytes` is the engine's CSPRNG.
 */
export function randomSecret(n: bigint, randomBytes: (length: number) => Uint8Array): Uint8Array {
  const d = (bytesToBigInt(randomBytes(64)) % (n - 2n)) + 1n;
  return bigIntToBytes(d, SCALAR_BYTES);
}
