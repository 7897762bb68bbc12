// Issues X.509 v3 certificates (RFC 5280) signed by one of our Signers: the
// development PKI of the tests and of `orderer keygen`, with no openssl CLI.
// Writes what Fabric's cryptogen writes: EC keys, ecdsa-with-SHA256 (or
// SM2-with-SM3), key usage, basic constraints, SKI/AKI, optional SANs.

import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { signatureOidOf } from '../curves.js';
import { bitString, boolean, bytesToBigInt, explicit, octetString, oid, sequence, time, tlv, unsignedInteger } from '../der.js';
import { encodeSpki } from '../keys.js';
import { encodePem } from '../pem.js';
import type { Signer, SignatureAlgorithm } from '../types.js';
import { encodeName, type DistinguishedName } from './names.js';

export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';
export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

/** Bit positions of KeyUsage (RFC 5280 4.2.1.3). */
const KEY_USAGE_BITS: Readonly<Record<KeyUsage, number>> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};

const EXTENDED_KEY_USAGE_OIDS: Readonly<Record<ExtendedKeyUsage, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export interface CertificateTemplate {
  readonly subject: DistinguishedName;
  /** Algorithm and point of the key being certified. */
  readonly publicKeyAlgorithm: SignatureAlgorithm;
  readonly publicKey: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly keyUsage: readonly KeyUsage[];
  readonly extendedKeyUsage?: readonly ExtendedKeyUsage[];
  /** DNS names and IP addresses (TLS certificates). */
  readonly subjectAltNames?: readonly string[];
  /** Positive; default: 128 random bits. */
  readonly serialNumber?: bigint;
}

export interface Issuer {
  readonly name: DistinguishedName;
  readonly signer: Signer;
}

export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
}

/** Fabric's SKI: SHA-256 of the uncompressed point (cryptogen's computeSKI). */
export function subjectKeyIdOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey);
}

function extension(extensionOid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? sequence(oid(extensionOid), boolean(true), octetString(value)) : sequence(oid(extensionOid), octetString(value));
}

function keyUsageValue(usages: readonly KeyUsage[]): Uint8Array {
  let bits = 0;
  for (const usage of usages) bits |= 0x80 >> KEY_USAGE_BITS[usage];
  assert.ok(bits !== 0, 'keyUsage must not be empty');
  // DER: drop trailing zero bits and say how many were unused.
  let unused = 0;
  while (((bits >> unused) & 1) === 0) unused++;
  return tlv(0x03, Uint8Array.of(unused, bits));
}

function subjectAltNameValue(names: readonly string[]): Uint8Array {
  const general = names.map((name) => {
    const version = isIP(name);
    if (version === 4) return tlv(0x87, Uint8Array.from(name.split('.').map(Number)));
    if (version === 6) throw new RangeError(`subjectAltNames: IPv6 "${name}" is not supported yet`);
    return tlv(0x82, new TextEncoder().encode(name)); // [2] IMPLICIT IA5String dNSName
  });
  return sequence(...general);
}

function extensions(template: CertificateTemplate, issuer: Issuer): Uint8Array {
  const list = [
    extension(EXTENSION_OIDS.keyUsage, true, keyUsageValue(template.keyUsage)),
    extension(EXTENSION_OIDS.basicConstraints, true, template.isCa ? sequence(boolean(true)) : sequence()),
    extension(EXTENSION_OIDS.subjectKeyIdentifier, false, octetString(subjectKeyIdOf(template.publicKey))),
    // [0] IMPLICIT KeyIdentifier
    extension(EXTENSION_OIDS.authorityKeyIdentifier, false, sequence(tlv(0x80, subjectKeyIdOf(issuer.signer.publicKey)))),
  ];
  const eku = template.extendedKeyUsage ?? [];
  if (eku.length > 0) {
    list.push(extension(EXTENSION_OIDS.extKeyUsage, false, sequence(...eku.map((u) => oid(EXTENDED_KEY_USAGE_OIDS[u])))));
  }
  const sans = template.subjectAltNames ?? [];
  if (sans.length > 0) list.push(extension(EXTENSION_OIDS.subjectAltName, false, subjectAltNameValue(sans)));
  return explicit(3, sequence(...list));
}

function randomSerial(): bigint {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f; // positive
  bytes[0]! |= 0x40; // and never shorter than 16 bytes
  return bytesToBigInt(bytes);
}

/** Signs `template` as `issuer`; for a self-signed CA pass the CA's own name and signer. */
export function issueCertificate(template: CertificateTemplate, issuer: Issuer): IssuedCertificate {
  assert.ok(template.notBefore.getTime() < template.notAfter.getTime(), 'notBefore must precede notAfter');
  const serial = template.serialNumber ?? randomSerial();
  assert.ok(serial > 0n, 'serialNumber must be positive');
  const signatureAlgorithm = sequence(oid(signatureOidOf(issuer.signer.algorithm)));
  const tbs = sequence(
    explicit(0, unsignedInteger(2n)), // v3
    unsignedInteger(serial),
    signatureAlgorithm,
    encodeName(issuer.name),
    sequence(time(template.notBefore), time(template.notAfter)),
    encodeName(template.subject),
    encodeSpki(template.publicKeyAlgorithm, template.publicKey),
    extensions(template, issuer),
  );
  const der = sequence(tbs, signatureAlgorithm, bitString(issuer.signer.sign(tbs)));
  return { der, pem: encodePem('CERTIFICATE', der) };
}
