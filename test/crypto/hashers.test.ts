import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sm3, sm3 } from '../../native-free/crypto/sm3.js';
import { OPENSSL_HAS_SM3 } from '../../src/crypto/native.js';
import { ENGINES, hex, provider, utf8 } from './engines.js';

describe('SM3 (GB/T 32905-2016 examples)', () => {
  it('hashes "abc" as example 1', () => {
    expect(hex(sm3(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  it('hashes "abcd" x 16 as example 2', () => {
    expect(hex(sm3(utf8('abcd'.repeat(16))))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });

  it('equals OpenSSL SM3 at every padding boundary', () => {
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = crypto.randomBytes(length);
      expect(hex(sm3(data)), `length ${length}`).toBe(crypto.createHash('sm3').update(data).digest('hex'));
    }
  });

  it('gives the same digest however the input is split (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 5 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const h = new Sm3();
        let from = 0;
        for (const to of points) {
          h.update(data.subarray(from, to));
          from = to;
        }
        h.update(data.subarray(from));
        expect(hex(h.digest())).toBe(hex(sm3(data)));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses to be used after digest', () => {
    const h = new Sm3().update(utf8('x'));
    h.digest();
    expect(() => h.update(utf8('y'))).toThrow(/after digest/);
    expect(() => h.digest()).toThrow(/twice/);
  });
});

describe.each(ENGINES)('%s hashers', (engine) => {
  const sha256 = provider(engine).hasher('sha256');
  const sm3Hasher = provider(engine).hasher('sm3');

  it('report their algorithm', () => {
    expect(sha256.algorithm).toBe('sha256');
    expect(sm3Hasher.algorithm).toBe('sm3');
  });

  it('SHA-256 of "abc" is the FIPS 180-2 value', () => {
    expect(hex(sha256.digest(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('SM3 of "abc" is the GB/T 32905 value', () => {
    expect(hex(sm3Hasher.digest(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  it('hashes the concatenation of its parts', () => {
    const whole = crypto.randomBytes(200);
    for (const hasher of [sha256, sm3Hasher]) {
      expect(hex(hasher.digest(whole.subarray(0, 7), whole.subarray(7, 130), whole.subarray(130)))).toBe(hex(hasher.digest(whole)));
      expect(hex(hasher.digest())).toBe(hex(hasher.digest(new Uint8Array(0))));
    }
  });
});

describe('engines agree on hashes', () => {
  it('native and native-free give the same SHA-256 and SM3 digests (property)', () => {
    const [a, b] = ENGINES.map(provider) as [ReturnType<typeof provider>, ReturnType<typeof provider>];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(hex(a.hasher('sha256').digest(data))).toBe(hex(b.hasher('sha256').digest(data)));
        expect(hex(a.hasher('sm3').digest(data))).toBe(hex(b.hasher('sm3').digest(data)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('native SM3 availability', () => {
  it('Node 20 ships OpenSSL SM3, so the native engine uses it', () => {
    expect(OPENSSL_HAS_SM3).toBe(crypto.getHashes().includes('sm3'));
    expect(OPENSSL_HAS_SM3).toBe(true);
  });
});
