import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as der from '../../src/crypto/der.js';
import { CryptoEncodingError } from '../../src/crypto/errors.js';
import { decodePem, decodePemBlocks, encodePem } from '../../src/crypto/pem.js';
import { decodeSignature, encodeSignature } from '../../src/crypto/signatureDer.js';
import { hex } from './engines.js';

describe('DER', () => {
  it('bytesToBigInt reads big-endian bytes, from any view into a larger buffer, as a byte-by-byte sum does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 7 }), (bytes, offset) => {
        const host = new Uint8Array(offset + bytes.length + 3);
        host.set(bytes, offset);
        const view = host.subarray(offset, offset + bytes.length);
        const expected = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
        expect(der.bytesToBigInt(view)).toBe(expected);
      }),
    );
  });

  it('round-trips unsigned INTEGERs with minimal encoding (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 300n) - 1n }), (value) => {
        const encoded = der.unsignedInteger(value);
        const element = der.readSingle(encoded, der.Tag.INTEGER, 'n');
        expect(der.decodeUnsignedInteger(element.value)).toBe(value);
      }),
    );
  });

  it('encodes lengths in short and long form as X.690 says', () => {
    expect(hex(der.octetString(new Uint8Array(127)).subarray(0, 2))).toBe('047f');
    expect(hex(der.octetString(new Uint8Array(128)).subarray(0, 3))).toBe('048180');
    expect(hex(der.octetString(new Uint8Array(256)).subarray(0, 4))).toBe('04820100');
  });

  it('encodes and decodes OIDs', () => {
    for (const oid of ['1.2.840.10045.2.1', '1.2.156.10197.1.301', '2.5.29.19', '2.999.3']) {
      expect(der.decodeOid(der.readSingle(der.oid(oid), der.Tag.OID, 'oid').value)).toBe(oid);
    }
    expect(hex(der.oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
  });

  it('writes UTCTime before 2050 and GeneralizedTime from 2050, and reads both back', () => {
    const utc = der.time(new Date('2049-12-31T23:59:59Z'));
    expect(new TextDecoder().decode(utc.subarray(2))).toBe('491231235959Z');
    const generalized = der.time(new Date('2050-01-01T00:00:00Z'));
    expect(generalized[0]).toBe(der.Tag.GENERALIZED_TIME);
    for (const encoded of [utc, generalized]) {
      const reader = new der.DerReader(encoded);
      expect(der.decodeTime(reader.read()).getTime()).toBeGreaterThan(0);
    }
    expect(der.decodeTime(new der.DerReader(der.time(new Date('1999-05-06T07:08:09Z'))).read()).toISOString()).toBe('1999-05-06T07:08:09.000Z');
  });

  it('refuses non-minimal lengths, indefinite lengths, truncation and trailing bytes', () => {
    const cases: Array<[string, string]> = [
      ['04810100', 'non-minimal length'],
      ['0480', 'indefinite length'],
      ['040301', 'runs past the end'],
      ['0400ff', 'trailing bytes'],
      ['02020001', 'non-minimal'], // INTEGER with a redundant zero
      ['020180', 'negative'],
    ];
    for (const [input, message] of cases) {
      expect(() => {
        const element = der.readSingle(Buffer.from(input, 'hex'), Number.parseInt(input.slice(0, 2), 16), 'x');
        if (element.tag === der.Tag.INTEGER) der.decodeUnsignedInteger(element.value);
      }, input).toThrow(message);
    }
  });

  it('reads signatures OpenSSL writes and writes the same bytes back', () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (let i = 0; i < 20; i++) {
      const sig = new Uint8Array(crypto.sign('sha256', Buffer.of(i), privateKey));
      expect(hex(encodeSignature(decodeSignature(sig)))).toBe(hex(sig));
    }
  });
});

describe('PEM', () => {
  it('round-trips and checks the label', () => {
    const body = crypto.randomBytes(100);
    const pem = encodePem('CERTIFICATE', body);
    expect(pem.split('\n')[1]!.length).toBe(64);
    expect(hex(decodePem(pem, ['CERTIFICATE']).der)).toBe(hex(body));
    expect(() => decodePem(pem, ['PRIVATE KEY'], 'key file')).toThrow('key file is a "CERTIFICATE" block, expected "PRIVATE KEY"');
    expect(decodePemBlocks(pem + pem)).toHaveLength(2);
    expect(() => decodePem(pem + pem, ['CERTIFICATE'])).toThrow(/2 PEM blocks/);
  });

  it('refuses bad base64 with an encoding error', () => {
    const bad = '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n';
    expect(() => decodePemBlocks(bad)).toThrow(CryptoEncodingError);
  });
});
