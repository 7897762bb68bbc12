import { describe, expect, it } from 'vitest';
import { PointCache } from '../../native-free/crypto/pointCache.js';
import { sm2PublicKey, Sm2Point, sm2Sign, sm2Verify, sm2Za } from '../../native-free/crypto/sm2.js';
import { sm3 } from '../../native-free/crypto/sm3.js';
import { encodeSignature } from '../../src/crypto/signatureDer.js';
import { ENGINES, fromHex, hex, provider, utf8 } from './engines.js';

// GM/T 0003.5-2012 / GB/T 32918 worked example on the recommended curve,
// with the default id "1234567812345678".
const D = 0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8n;
const K = 0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n;
const PUBLIC = '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' + 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13';
const R = 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n;
const S = 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan;
const MESSAGE = utf8('message digest');

describe('SM2 (GB/T 32918.2) pure implementation', () => {
  it('derives the example public key', () => {
    expect(hex(sm2PublicKey(D))).toBe(PUBLIC);
  });

  it('signs the example exactly, given the example nonce', () => {
    const sig = sm2Sign(D, fromHex(PUBLIC), MESSAGE, { nonceForTest: K });
    expect(sig.r).toBe(R);
    expect(sig.s).toBe(S);
  });

  it.each(ENGINES)('%s verifier accepts the example signature and refuses it for another message', (engine) => {
    const der = encodeSignature({ r: R, s: S });
    const verifier = provider(engine).verifier('sm2');
    expect(verifier.verify(fromHex(PUBLIC), MESSAGE, der)).toBe(true);
    expect(verifier.verify(fromHex(PUBLIC), utf8('message digesT'), der)).toBe(false);
  });

  it('binds the signer id: the same signature fails under another id', () => {
    const pub = fromHex(PUBLIC);
    expect(sm2Verify(pub, MESSAGE, { r: R, s: S }, { userId: utf8('ALICE123@YAHOO.COM') })).toBe(false);
    const withAlice = sm2Sign(D, pub, MESSAGE, { userId: utf8('ALICE123@YAHOO.COM') });
    expect(sm2Verify(pub, MESSAGE, withAlice, { userId: utf8('ALICE123@YAHOO.COM') })).toBe(true);
    expect(sm2Verify(pub, MESSAGE, withAlice)).toBe(false);
  });

  it('computes Z_A over ENTL ‖ ID ‖ a ‖ b ‖ G ‖ P', () => {
    const za = sm2Za(fromHex(PUBLIC));
    const a = 'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc';
    const b = '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93';
    const g = Sm2Point.BASE.toHex(false).slice(2);
    const input = fromHex(`0080${hex(utf8('1234567812345678'))}${a}${b}${g}${PUBLIC.slice(2)}`);
    expect(hex(za)).toBe(hex(sm3(input)));
  });

  it('refuses the point at infinity as the sum (t = 0) and out-of-range values', () => {
    const n = Sm2Point.Fn.ORDER;
    const pub = fromHex(PUBLIC);
    expect(sm2Verify(pub, MESSAGE, { r: R, s: n - R })).toBe(false); // r + s = n
    expect(sm2Verify(pub, MESSAGE, { r: 0n, s: S })).toBe(false);
    expect(sm2Verify(pub, MESSAGE, { r: R, s: n })).toBe(false);
  });
});

describe('SM2 verification with per-key tables', () => {
  it('gives the same answers before and after a key gets its table', () => {
    const cache = new PointCache(Sm2Point);
    const pub = fromHex(PUBLIC);
    for (let i = 0; i < 10; i++) {
      const msg = utf8(`m${i}`);
      const sig = sm2Sign(D, pub, msg);
      expect(sm2Verify(pub, msg, sig, { keyCache: cache }), `use ${i}`).toBe(true);
      expect(sm2Verify(pub, utf8(`m${i}!`), sig, { keyCache: cache }), `use ${i}, wrong message`).toBe(false);
    }
    expect(cache.lookup(pub)!.hasTable).toBe(true);
    expect(sm2Verify(pub, MESSAGE, { r: R, s: S }, { keyCache: cache })).toBe(true);
  });
});
