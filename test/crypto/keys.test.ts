import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoEncodingError, UnsupportedAlgorithmError } from '../../src/crypto/errors.js';
import { decodePkcs8, decodePrivateKeyPem, decodeSpki, encodePkcs8, encodeSpki } from '../../src/crypto/keys.js';
import { ALGORITHMS, ENGINES, hex, provider } from './engines.js';

const CURVES = { 'ecdsa-p256': 'prime256v1', sm2: 'SM2' } as const;

describe.each(ALGORITHMS)('%s key encodings', (algorithm) => {
  const pair = crypto.generateKeyPairSync('ec', { namedCurve: CURVES[algorithm] });
  const spki = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
  const pkcs8 = new Uint8Array(pair.privateKey.export({ type: 'pkcs8', format: 'der' }));

  it('reads OpenSSL SPKI and writes the same bytes', () => {
    const info = decodeSpki(spki);
    expect(info.algorithm).toBe(algorithm);
    expect(hex(encodeSpki(algorithm, info.publicKey))).toBe(hex(spki));
  });

  it('reads OpenSSL PKCS#8 and SEC1 PEM, and OpenSSL reads our PKCS#8', () => {
    const info = decodePkcs8(pkcs8);
    expect(info.algorithm).toBe(algorithm);
    expect(hex(info.publicKey!)).toBe(hex(decodeSpki(spki).publicKey));
    const sec1 = pair.privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(hex(decodePrivateKeyPem(sec1).secret)).toBe(hex(info.secret));
    const ours = crypto.createPrivateKey({ key: Buffer.from(encodePkcs8(algorithm, info.secret, info.publicKey!)), format: 'der', type: 'pkcs8' });
    expect(hex(new Uint8Array(crypto.createPublicKey(ours).export({ type: 'spki', format: 'der' })))).toBe(hex(spki));
  });

  it.each(ENGINES)('%s refuses a PEM whose public key does not match its secret', (engine) => {
    const info = decodePkcs8(pkcs8);
    const other = decodeSpki(
      new Uint8Array(crypto.generateKeyPairSync('ec', { namedCurve: CURVES[algorithm] }).publicKey.export({ type: 'spki', format: 'der' })),
    );
    const forged = Buffer.from(encodePkcs8(algorithm, info.secret, other.publicKey)).toString('base64');
    const pem = `-----BEGIN PRIVATE KEY-----\n${forged}\n-----END PRIVATE KEY-----\n`;
    expect(() => provider(engine).signerFromPrivateKey(algorithm, pem)).toThrow(/does not match its secret/);
  });
});

describe('unsupported keys', () => {
  it('names the curve or key type it refuses', () => {
    const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(() => decodeSpki(new Uint8Array(p384))).toThrow(UnsupportedAlgorithmError);
    expect(() => decodeSpki(new Uint8Array(p384))).toThrow(/curve 1\.3\.132\.0\.34 is not supported/);
    const ed = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(() => decodePkcs8(new Uint8Array(ed))).toThrow(/key algorithm 1\.3\.101\.112 is not an EC key/);
    expect(() => decodeSpki(Uint8Array.of(0x30, 0x00))).toThrow(CryptoEncodingError);
  });
});
