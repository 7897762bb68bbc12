import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSpki } from '../../src/crypto/keys.js';
import { decodePemBlocks } from '../../src/crypto/pem.js';
import { parseCertificate } from '../../src/crypto/x509/certificate.js';
import { certificateSignatureCheck } from '../../src/crypto/x509/signatureCheck.js';
import { issueCertificate, subjectKeyIdOf } from '../../src/crypto/x509/writer.js';
import { ALGORITHMS, ENGINES, flipped, hex, provider } from './engines.js';
import { fabricCert, fabricCertificates } from './fabricCerts.js';

const derOf = (pem: string): Uint8Array => decodePemBlocks(pem)[0]!.der;

describe.each(ALGORITHMS)('X.509 writer and reader, %s', (algorithm) => {
  const nf = provider('native-free');
  const caSigner = nf.generateSigner(algorithm);
  const caName = { country: 'CN', organization: 'org1.example.com', commonName: 'ca.org1.example.com' };
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2056-01-01T00:00:00Z'); // GeneralizedTime after 2049
  const ca = issueCertificate(
    { subject: caName, publicKeyAlgorithm: algorithm, publicKey: caSigner.publicKey, notBefore, notAfter, isCa: true, keyUsage: ['keyCertSign', 'cRLSign'] },
    { name: caName, signer: caSigner },
  );
  const leafSigner = nf.generateSigner(algorithm);
  const leaf = issueCertificate(
    {
      subject: { organization: 'org1.example.com', organizationalUnit: 'client', commonName: 'User1@org1.example.com' },
      publicKeyAlgorithm: algorithm,
      publicKey: leafSigner.publicKey,
      notBefore,
      notAfter: new Date('2036-01-01T00:00:00Z'),
      isCa: false,
      keyUsage: ['digitalSignature'],
      subjectAltNames: ['orderer0.example.com', '127.0.0.1'],
      serialNumber: 4242n,
    },
    { name: caName, signer: caSigner },
  );

  it('reads back what it wrote', () => {
    const parsed = parseCertificate(leaf.der);
    expect(parsed.subject).toBe('CN=User1@org1.example.com,OU=client,O=org1.example.com');
    expect(parsed.serialNumber).toBe(4242n);
    expect(parsed.notBefore.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parsed.notAfter.toISOString()).toBe('2036-01-01T00:00:00.000Z');
    expect(parsed.isCa).toBe(false);
    expect(parsed.signatureAlgorithm).toBe(algorithm);
    expect(parsed.publicKey).toEqual({ algorithm, publicKey: leafSigner.publicKey });
    expect(hex(parsed.subjectKeyId!)).toBe(hex(subjectKeyIdOf(leafSigner.publicKey)));
    expect(hex(parsed.authorityKeyId!)).toBe(hex(subjectKeyIdOf(caSigner.publicKey)));
    expect(hex(parsed.issuerName)).toBe(hex(parseCertificate(ca.der).subjectName));
    const caParsed = parseCertificate(ca.der);
    expect(caParsed.isCa).toBe(true);
    expect(caParsed.notAfter.toISOString()).toBe('2056-01-01T00:00:00.000Z');
  });

  it('writes certificates OpenSSL parses the same way (node X509Certificate)', () => {
    const x = new X509Certificate(leaf.pem);
    expect(x.subject.split('\n')).toEqual(['O=org1.example.com', 'OU=client', 'CN=User1@org1.example.com']);
    expect(x.issuer.split('\n')).toEqual(['C=CN', 'O=org1.example.com', 'CN=ca.org1.example.com']);
    expect(x.serialNumber).toBe('1092'); // 4242 in hex
    expect(new Date(x.validTo).toISOString()).toBe('2036-01-01T00:00:00.000Z');
    expect(x.ca).toBe(false);
    expect(new X509Certificate(ca.pem).ca).toBe(true);
    expect(x.subjectAltName).toBe('DNS:orderer0.example.com, IP Address:127.0.0.1');
    expect(x.checkIssued(new X509Certificate(ca.pem))).toBe(true);
    const spki = decodeSpki(new Uint8Array(x.publicKey.export({ type: 'spki', format: 'der' })));
    expect(hex(spki.publicKey)).toBe(hex(leafSigner.publicKey));
  });

  it.each(ENGINES)('%s engine checks the issuer signature and refuses a tampered TBS', (engine) => {
    const signedBy = certificateSignatureCheck(engine);
    const parsedLeaf = parseCertificate(leaf.der);
    const parsedCa = parseCertificate(ca.der);
    expect(signedBy(parsedLeaf, parsedCa)).toBe(true);
    expect(signedBy(parsedCa, parsedCa)).toBe(true);
    expect(signedBy(parsedLeaf, parsedLeaf)).toBe(false);
    // Flip a byte inside the subject's CN: still parses, no longer verifies.
    const at = Buffer.from(leaf.der).indexOf('User1');
    expect(signedBy(parseCertificate(flipped(leaf.der, at)), parsedCa)).toBe(false);
  });
});

describe('names and booleans as strict as Go’s crypto/x509 (what it accepts, OpenSSL reads)', () => {
  const signer = provider('native').generateSigner('ecdsa-p256');
  const name = { organization: 'org1.example.com', commonName: 'User1' };
  const cert = issueCertificate(
    {
      subject: name,
      publicKeyAlgorithm: 'ecdsa-p256',
      publicKey: signer.publicKey,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z'),
      isCa: true,
      keyUsage: ['keyCertSign'],
    },
    { name, signer },
  ).der;
  /** `cert` with `from` (a unique byte string of it) replaced by `to`, same length. */
  const patched = (from: Uint8Array, to: Uint8Array): Uint8Array => {
    const at = Buffer.from(cert).indexOf(from);
    expect(at).toBeGreaterThan(0);
    const copy = Uint8Array.from(cert);
    copy.set(to, at);
    return copy;
  };
  const encoder = new TextEncoder();

  it('refuses a UTF8String holding 0xFF in the subject or the issuer, naming it', () => {
    const text = Buffer.from(cert);
    for (const at of [text.indexOf('User1'), text.lastIndexOf('User1'), text.indexOf('org1.example.com'), text.lastIndexOf('org1.example.com')]) {
      const bad = Uint8Array.from(cert);
      bad[at] = 0xff;
      expect(() => parseCertificate(bad)).toThrow(/UTF8String is not valid UTF-8/);
      expect(() => new X509Certificate(bad)).toThrow();
    }
  });

  it('refuses a PrintableString with a character outside its set, and a value of a non-string type', () => {
    // 0x0c 0x05 "User1" -> PrintableString "User@" / INTEGER
    expect(() => parseCertificate(patched(Uint8Array.of(0x0c, 5, ...encoder.encode('User1')), Uint8Array.of(0x13, 5, ...encoder.encode('User@'))))).toThrow(
      /not allowed in its string type/,
    );
    expect(() => parseCertificate(patched(Uint8Array.of(0x0c, 5, ...encoder.encode('User1')), Uint8Array.of(0x02, 5, 1, 2, 3, 4, 5)))).toThrow(
      /not a directory string type/,
    );
    // The issuer's CN as a valid PrintableString reads (the signature no longer matches, which is not the reader's business).
    expect(() =>
      parseCertificate(patched(Uint8Array.of(0x0c, 5, ...encoder.encode('User1')), Uint8Array.of(0x13, 5, ...encoder.encode('User2')))),
    ).not.toThrow();
  });

  it('refuses a BOOLEAN that is not one octet of 0x00 or 0xFF (criticality, cA)', () => {
    const critical = Uint8Array.of(0x01, 0x01, 0xff, 0x04); // critical TRUE, then the extension's OCTET STRING
    expect(() => parseCertificate(patched(critical, Uint8Array.of(0x01, 0x01, 0x01, 0x04)))).toThrow(/extension critical is not 0x00 or 0xFF/);
    expect(() => parseCertificate(patched(critical, Uint8Array.of(0x01, 0x02, 0xff, 0x04)))).toThrow(/DER/);
    const ca = Uint8Array.of(0x30, 0x03, 0x01, 0x01, 0xff); // BasicConstraints SEQUENCE { cA TRUE }
    expect(() => parseCertificate(patched(ca, Uint8Array.of(0x30, 0x03, 0x01, 0x01, 0x02)))).toThrow(/basicConstraints cA is not 0x00 or 0xFF/);
  });
});

describe('real Fabric certificates (ledger-sample)', () => {
  it('parses every certificate in the ledger', () => {
    const certs = fabricCertificates();
    expect(certs.length).toBeGreaterThanOrEqual(2);
    for (const { pem, parsed } of certs) {
      const x = new X509Certificate(pem);
      expect(parsed.isCa).toBe(x.ca);
      expect(parsed.notAfter.getTime()).toBe(new Date(x.validTo).getTime());
      expect(parsed.notBefore.getTime()).toBe(new Date(x.validFrom).getTime());
      expect(parsed.publicKey.algorithm).toBe('ecdsa-p256');
    }
  });

  it.each(ENGINES)('%s engine verifies the peer certificate against the SampleOrg CA', (engine) => {
    const peer = fabricCert('peer0.org1.example.com');
    const ca = fabricCert('ca.org1.example.com');
    const signedBy = certificateSignatureCheck(engine);
    expect(peer.parsed.subject).toBe('CN=peer0.org1.example.com,OU=COP,L=San Francisco,ST=California,C=US');
    expect(signedBy(peer.parsed, ca.parsed)).toBe(true);
    expect(signedBy(ca.parsed, ca.parsed)).toBe(true);
    expect(signedBy(peer.parsed, fabricCert('Org2').parsed)).toBe(false);
  });

  it('refuses truncated and trailing-garbage certificates with an encoding error', () => {
    const der = derOf(fabricCert('ca.org1.example.com').pem);
    expect(() => parseCertificate(der.subarray(0, der.length - 1))).toThrow(/DER/);
    expect(() => parseCertificate(Uint8Array.of(...der, 0))).toThrow(/trailing bytes/);
  });
});
