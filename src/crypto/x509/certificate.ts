// A strict reader of the X.509 v3 fields identity validation needs (RFC 5280):
// names, validity, key, CA flag, key ids, and the signed TBSCertificate bytes.
// Pure DER (no node:crypto), so both engines use it: it is the one reader of
// MSP certificates (creators, CAs). Strict where Go's crypto/x509 is (names'
// string types, minimal DER), so what it accepts Fabric and OpenSSL read too
// (test/fuzz/decoders.test.ts and `npm run fuzz` check that on mutated certificates).

import {
  children,
  decodeBitStringBytes,
  decodeBoolean,
  decodeOid,
  decodeTime,
  decodeUnsignedInteger,
  type DerReader,
  readSingle,
  Tag,
  type DerElement,
} from '../der.js';
import { decodeSpki, type PublicKeyInfo } from '../keys.js';
import { OID } from '../curves.js';
import { CryptoEncodingError, UnsupportedAlgorithmError } from '../errors.js';
import type { SignatureAlgorithm } from '../types.js';
import { readName } from './nameReader.js';

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** The signed part, byte-exact as in the certificate. */
  readonly tbs: Uint8Array;
  readonly serialNumber: bigint;
  /** Raw DER of the Name: issuer/subject match is a byte comparison (as Go and OpenSSL do for DER-canonical names). */
  readonly issuerName: Uint8Array;
  readonly subjectName: Uint8Array;
  /** "CN=...,OU=...,O=..." for messages. */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: PublicKeyInfo;
  /** Algorithm of the issuer's signature over `tbs`. */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** DER ECDSA/SM2 signature. */
  readonly signature: Uint8Array;
  readonly isCa: boolean;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
}

const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SignatureAlgorithm> = new Map([
  [OID.ecdsaWithSha256, 'ecdsa-p256'],
  [OID.sm2WithSm3, 'sm2'],
]);

function readSignatureAlgorithm(element: DerElement): SignatureAlgorithm {
  const reader = children(element);
  const algorithmOid = decodeOid(reader.read(Tag.OID, 'signature algorithm').value);
  // Parameters must be absent for ECDSA; some SM2 writers put NULL.
  reader.readOptional(Tag.NULL, 'signature algorithm parameters');
  reader.end('signature algorithm');
  const algorithm = SIGNATURE_ALGORITHMS.get(algorithmOid);
  if (algorithm === undefined) {
    throw new UnsupportedAlgorithmError(`certificate signature algorithm ${algorithmOid} is not supported (ecdsa-with-SHA256 or SM2-with-SM3)`);
  }
  return algorithm;
}

interface Extensions {
  isCa: boolean;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: Uint8Array | undefined;
}

function readExtensions(element: DerElement | undefined): Extensions {
  const result: Extensions = { isCa: false, subjectKeyId: undefined, authorityKeyId: undefined };
  if (element === undefined) return result;
  const list = children(readSingle(element.value, Tag.SEQUENCE, 'extensions'));
  while (!list.done) {
    const ext = children(list.read(Tag.SEQUENCE, 'extension'));
    const extensionOid = decodeOid(ext.read(Tag.OID, 'extension id').value);
    const critical = ext.readOptional(Tag.BOOLEAN, 'extension critical');
    if (critical !== undefined) decodeBoolean(critical.value, 'extension critical');
    const value = ext.read(Tag.OCTET_STRING, 'extension value').value;
    ext.end('extension');
    if (extensionOid === '2.5.29.19') {
      const constraints = children(readSingle(value, Tag.SEQUENCE, 'basicConstraints'));
      const ca = constraints.readOptional(Tag.BOOLEAN, 'basicConstraints cA');
      result.isCa = ca !== undefined && decodeBoolean(ca.value, 'basicConstraints cA');
    } else if (extensionOid === '2.5.29.14') {
      result.subjectKeyId = Uint8Array.from(readSingle(value, Tag.OCTET_STRING, 'subjectKeyIdentifier').value);
    } else if (extensionOid === '2.5.29.35') {
      const aki = children(readSingle(value, Tag.SEQUENCE, 'authorityKeyIdentifier'));
      const keyId = aki.readOptional(0x80, 'authorityKeyIdentifier keyIdentifier');
      result.authorityKeyId = keyId && Uint8Array.from(keyId.value);
    }
  }
  return result;
}

/** Parses one DER certificate. Throws CryptoEncodingError / UnsupportedAlgorithmError naming the bad part. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const outer = children(readSingle(der, Tag.SEQUENCE, 'certificate'));
  const tbsElement = outer.read(Tag.SEQUENCE, 'TBSCertificate');
  const signatureAlgorithm = readSignatureAlgorithm(outer.read(Tag.SEQUENCE, 'signatureAlgorithm'));
  const signature = decodeBitStringBytes(outer.read(Tag.BIT_STRING, 'signatureValue').value, 'signatureValue');
  outer.end('certificate');

  const tbs: DerReader = children(tbsElement);
  const version = tbs.readOptional(0xa0, 'version');
  const versionNumber = version ? decodeUnsignedInteger(readSingle(version.value, Tag.INTEGER, 'version').value) : 0n;
  if (versionNumber !== 2n) throw new CryptoEncodingError(`certificate is X.509 v${versionNumber + 1n}, only v3 is supported`);
  const serialNumber = decodeUnsignedInteger(tbs.read(Tag.INTEGER, 'serialNumber').value, 'serialNumber');
  const innerAlgorithm = readSignatureAlgorithm(tbs.read(Tag.SEQUENCE, 'TBSCertificate signature'));
  if (innerAlgorithm !== signatureAlgorithm) throw new CryptoEncodingError('certificate signature algorithms disagree');
  const issuer = tbs.read(Tag.SEQUENCE, 'issuer');
  readName(issuer, 'issuer');
  const validity = children(tbs.read(Tag.SEQUENCE, 'validity'));
  const notBefore = decodeTime(validity.read(undefined, 'notBefore'));
  const notAfter = decodeTime(validity.read(undefined, 'notAfter'));
  validity.end('validity');
  const subject = tbs.read(Tag.SEQUENCE, 'subject');
  const publicKey = decodeSpki(tbs.read(Tag.SEQUENCE, 'subjectPublicKeyInfo'));
  tbs.readOptional(0x81, 'issuerUniqueID');
  tbs.readOptional(0x82, 'subjectUniqueID');
  const extensions = readExtensions(tbs.readOptional(0xa3, 'extensions'));
  tbs.end('TBSCertificate');

  return {
    der,
    tbs: tbsElement.raw,
    serialNumber,
    issuerName: issuer.raw,
    subjectName: subject.raw,
    subject: readName(subject, 'subject'),
    notBefore,
    notAfter,
    publicKey,
    signatureAlgorithm,
    signature,
    ...extensions,
  };
}
