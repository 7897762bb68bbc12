import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { P256_N, SM2_CURVE } from '../../src/crypto/curves.js';
import { CryptoEncodingError, UnsupportedAlgorithmError } from '../../src/crypto/errors.js';
import { decodeSpki } from '../../src/crypto/keys.js';
import { decodeSignature, encodeSignature, isLowS } from '../../src/crypto/signatureDer.js';
import { ALGORITHMS, ENGINES, flipped, provider, utf8 } from './engines.js';

const message = utf8('a transaction payload');

describe.each(ENGINES)('%s engine', (engine) => {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    const signer = provider(engine).generateSigner(algorithm);
    const verifier = provider(engine).verifier(algorithm);
    const signature = signer.sign(message);

    it('verifies its own signature', () => {
      expect(signer.algorithm).toBe(algorithm);
      expect(verifier.algorithm).toBe(algorithm);
      expect(verifier.verify(signer.publicKey, message, signature)).toBe(true);
    });

    it('refuses a tampered message', () => {
      expect(verifier.verify(signer.publicKey, flipped(message, 3), signature)).toBe(false);
    });

    it('refuses a tampered signature (every byte of r and s)', () => {
      const { r, s } = decodeSignature(signature);
      expect(verifier.verify(signer.publicKey, message, encodeSignature({ r: r ^ 1n, s }))).toBe(false);
      expect(verifier.verify(signer.publicKey, message, encodeSignature({ r, s: s ^ 1n }))).toBe(false);
      expect(verifier.verify(signer.publicKey, message, flipped(signature, signature.length - 1))).toBe(false);
    });

    it("refuses another key's signature", () => {
      const other = provider(engine).generateSigner(algorithm);
      expect(verifier.verify(other.publicKey, message, signature)).toBe(false);
    });

    it('answers false, never throws, for malformed input', () => {
      const bad = [new Uint8Array(0), Uint8Array.of(0x30, 0x00), flipped(signature, 0), Uint8Array.of(...signature, 0)];
      for (const sig of bad) expect(verifier.verify(signer.publicKey, message, sig)).toBe(false);
      const offCurve = Uint8Array.from(signer.publicKey);
      offCurve[64]! ^= 1;
      for (const key of [new Uint8Array(0), signer.publicKey.subarray(1), offCurve]) {
        expect(verifier.verify(key, message, signature)).toBe(false);
      }
    });

    it('off the calling thread (where the engine offers it) answers as verify: true for its signature, false for tampered, high-S or malformed input', async () => {
      if (verifier.verifyOffThread === undefined) {
        expect(engine === 'native-free' || algorithm === 'sm2').toBe(true);
        return;
      }
      const { r, s } = decodeSignature(signature);
      const n = algorithm === 'sm2' ? SM2_CURVE.n : P256_N;
      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
        [signer.publicKey, message, signature],
        [signer.publicKey, flipped(message, 3), signature],
        [signer.publicKey, message, encodeSignature({ r, s: n - s })],
        [signer.publicKey, message, Uint8Array.of(0x30, 0x00)],
        [signer.publicKey.subarray(1), message, signature],
      ];
      const offThread = await Promise.all(cases.map(([key, m, sig]) => verifier.verifyOffThread!(key, m, sig)));
      expect(offThread).toEqual([true, false, false, false, false]);
      expect(offThread).toEqual(cases.map(([key, m, sig]) => verifier.verify(key, m, sig)));
    });

    it('refuses r = 0, s = 0 and values >= n', () => {
      const n = algorithm === 'sm2' ? SM2_CURVE.n : P256_N;
      const { r, s } = decodeSignature(signature);
      for (const sig of [
        { r: 0n, s },
        { r, s: 0n },
        { r: r + n, s },
        { r, s: s + n },
      ]) {
        expect(verifier.verify(signer.publicKey, message, encodeSignature(sig))).toBe(false);
      }
    });

    it('refuses non-minimal DER (a redundant leading zero in r) that is otherwise the valid signature', () => {
      const { r, s } = decodeSignature(signature);
      const sTlv = encodeSignature({ r: 1n, s }).subarray(5); // skip 30 len 02 01 01: the s INTEGER TLV
      const withR = (rValue: Buffer): Buffer => {
        const body = Buffer.concat([Buffer.of(0x02, rValue.length), rValue, sTlv]);
        return Buffer.concat([Buffer.of(0x30, body.length), body]);
      };
      let minimal = Buffer.from(r.toString(16).padStart(r.toString(16).length + (r.toString(16).length % 2), '0'), 'hex');
      if (minimal[0]! & 0x80) minimal = Buffer.concat([Buffer.of(0), minimal]);
      // Our hand-built encoding is right: with minimal r it is the signature itself.
      expect(Buffer.compare(withR(minimal), signature)).toBe(0);
      expect(verifier.verify(signer.publicKey, message, withR(minimal))).toBe(true);
      const padded = Buffer.concat([Buffer.of(0, 0), minimal]);
      expect(verifier.verify(signer.publicKey, message, withR(padded))).toBe(false);
    });

    it('round-trips its key through PKCS#8 PEM and raw scalar', () => {
      const pem = signer.exportPrivateKeyPem();
      const again = provider(engine).signerFromPrivateKey(algorithm, pem);
      expect(Buffer.from(again.publicKey)).toEqual(Buffer.from(signer.publicKey));
      expect(verifier.verify(signer.publicKey, message, again.sign(message))).toBe(true);
    });

    it('refuses a key of the other algorithm', () => {
      const other = ALGORITHMS.find((a) => a !== algorithm)!;
      expect(() => provider(engine).signerFromPrivateKey(other, signer.exportPrivateKeyPem())).toThrow(UnsupportedAlgorithmError);
    });
  });

  it('reads PKCS#8 PEM keys written by OpenSSL, for both curves', () => {
    for (const [algorithm, namedCurve] of [
      ['ecdsa-p256', 'prime256v1'],
      ['sm2', 'SM2'],
    ] as const) {
      const pair = crypto.generateKeyPairSync('ec', { namedCurve });
      const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const signer = provider(engine).signerFromPrivateKey(algorithm, pem);
      const expected = decodeSpki(new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }))).publicKey;
      expect(Buffer.from(signer.publicKey)).toEqual(Buffer.from(expected));
    }
  });

  it('accepts a raw 32-byte scalar and refuses other lengths, zero and n', () => {
    const secret = new Uint8Array(32);
    secret[31] = 7;
    const signer = provider(engine).signerFromPrivateKey('ecdsa-p256', secret);
    expect(provider(engine).verifier('ecdsa-p256').verify(signer.publicKey, message, signer.sign(message))).toBe(true);
    expect(() => provider(engine).signerFromPrivateKey('ecdsa-p256', new Uint8Array(31))).toThrow(CryptoEncodingError);
    expect(() => provider(engine).signerFromPrivateKey('sm2', new Uint8Array(32))).toThrow(/out of range/);
    const n = Buffer.from(P256_N.toString(16), 'hex');
    expect(() => provider(engine).signerFromPrivateKey('ecdsa-p256', n)).toThrow(/out of range/);
  });

  it('refuses a PEM that is not a private key, with a message naming it', () => {
    expect(() => provider(engine).signerFromPrivateKey('sm2', 'not a pem')).toThrow(/holds no PEM block/);
    const cert = '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n';
    expect(() => provider(engine).signerFromPrivateKey('sm2', cert)).toThrow(/"CERTIFICATE" block/);
  });
});

describe('ECDSA P-256 low-S rule (as Fabric)', () => {
  it('both engines sign low-S every time', () => {
    for (const engine of ENGINES) {
      const signer = provider(engine).generateSigner('ecdsa-p256');
      for (let i = 0; i < 32; i++) {
        expect(isLowS(decodeSignature(signer.sign(utf8(`m${i}`))).s, P256_N)).toBe(true);
      }
    }
  });

  it('both engines refuse the high-S twin that plain OpenSSL ECDSA accepts', () => {
    const signer = provider('native').generateSigner('ecdsa-p256');
    const { r, s } = decodeSignature(signer.sign(message));
    const highS = encodeSignature({ r, s: P256_N - s });
    const spki = { key: Buffer.from(spkiOf(signer.publicKey)), format: 'der', type: 'spki' } as const;
    // Mathematically valid: OpenSSL itself says yes...
    expect(crypto.verify('sha256', message, crypto.createPublicKey(spki), highS)).toBe(true);
    // ...our rule says no, in both engines.
    for (const engine of ENGINES) {
      expect(provider(engine).verifier('ecdsa-p256').verify(signer.publicKey, message, highS)).toBe(false);
    }
  });
});

describe('cross-engine verification', () => {
  it.each(ALGORITHMS)('%s: a signature made by either engine verifies in the other', (algorithm) => {
    for (const [from, to] of [
      ['native', 'native-free'],
      ['native-free', 'native'],
    ] as const) {
      const signer = provider(from).generateSigner(algorithm);
      for (let i = 0; i < 8; i++) {
        const m = utf8(`message ${i} from ${from}`);
        const sig = signer.sign(m);
        expect(provider(to).verifier(algorithm).verify(signer.publicKey, m, sig), `${from} -> ${to} #${i}`).toBe(true);
        expect(provider(to).verifier(algorithm).verify(signer.publicKey, flipped(m, 0), sig)).toBe(false);
      }
    }
  });

  it.each(ALGORITHMS)('%s: the same private key gives the same public key in both engines', (algorithm) => {
    const pem = provider('native-free').generateSigner(algorithm).exportPrivateKeyPem();
    const [a, b] = ENGINES.map((e) => provider(e).signerFromPrivateKey(algorithm, pem));
    expect(Buffer.from(a!.publicKey)).toEqual(Buffer.from(b!.publicKey));
  });
});

function spkiOf(point: Uint8Array): Uint8Array {
  // id-ecPublicKey, prime256v1 header of a 65-byte point (RFC 5480).
  const header = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
  return Buffer.concat([header, point]);
}
