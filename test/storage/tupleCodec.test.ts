// The pure-JS record encoding: round-trips every value shape it supports, and
// garbage input fails with ShapeError (which engines turn into a corruption
// error naming the record), never with another exception.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { crc32Of, seal, unseal } from '../../src/storage/sealedValue.js';
import { ShapeError } from '../../src/storage/storedShapes.js';
import { decodeTuple, encodeTuple, encodeTupleParts, type TupleValue } from '../../src/storage/tupleCodec.js';

const leaf: fc.Arbitrary<TupleValue> = fc.oneof(
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.integer({ min: -1, max: 1 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.uint8Array({ maxLength: 40 }),
);
const value: fc.Arbitrary<TupleValue> = fc.letrec<{ v: TupleValue }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 5 })),
})).v;

/** Uint8Array views come back as Buffers: compare by content. */
function plain(v: TupleValue): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

describe('tuple codec', () => {
  it('round-trips nested tuples of booleans, integers, strings and bytes', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(plain(decodeTuple(encodeTuple(v)))).toEqual(plain(v));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('fails on garbage with ShapeError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeTuple(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(ShapeError);
        }
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it('refuses trailing bytes and a tuple count beyond the input', () => {
    expect(() => decodeTuple(Buffer.concat([encodeTuple([1, 'a']), Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeTuple(Buffer.from([5, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/cut short/);
  });
});

describe('sealed values', () => {
  it('round-trip with empty byte strings of every origin (Node 20 crc32 quirk on zero-length ArrayBuffers)', () => {
    const values: TupleValue[] = [[1, new Uint8Array(0)], [new Uint8Array(new ArrayBuffer(0)), 'x'], [Buffer.alloc(0)], []];
    for (const v of values) {
      const back = unseal(seal(v));
      expect(back.ok).toBe(true);
      if (back.ok) expect(plain(back.value as TupleValue)).toEqual(plain(v));
    }
  });

  it('crc32Of equals crc32 of the concatenation, empty parts included', () => {
    const parts = [Buffer.from('ab'), Buffer.from(new ArrayBuffer(0), 0, 0), new Uint8Array(0), Buffer.from('cd')];
    expect(crc32Of(parts)).toBe(crc32(Buffer.from('abcd')));
  });
});

/** The format written out one field at a time, as the codec's header documents it: the packed encoder must match it byte for byte. */
function referenceEncoding(v: TupleValue): Buffer {
  const head = (tag: number, n: number) => {
    const b = Buffer.alloc(5);
    b[0] = tag;
    b.writeUInt32LE(n, 1);
    return b;
  };
  if (typeof v === 'boolean') return Buffer.from([v ? 1 : 0]);
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 2;
    b.writeDoubleLE(v, 1);
    return b;
  }
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v, 'utf8')]);
  if (v instanceof Uint8Array) return Buffer.concat([head(4, v.length), v]);
  return Buffer.concat([head(5, v.length), ...v.map(referenceEncoding)]);
}

describe('tuple codec: packed pieces', () => {
  const big = fc.uint8Array({ minLength: 4000, maxLength: 9000 });
  const mixed: fc.Arbitrary<TupleValue> = fc.array(fc.oneof(leaf, big, fc.array(fc.string({ maxLength: 70 }), { maxLength: 600 })), { maxLength: 6 });

  it('writes exactly the documented format, large byte strings and long lists included', () => {
    fc.assert(
      fc.property(mixed, (v) => {
        expect(encodeTuple(v).equals(referenceEncoding(v))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("refers to a large byte string instead of copying it, and packs a block head's 500 tx ids into a few pieces", () => {
    const blockBytes = new Uint8Array(500 * 1024).fill(7);
    const txIds = Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(64, '0'));
    const parts = encodeTupleParts([[3, new Uint8Array(32), new Uint8Array(32), 9, false, txIds], blockBytes]);
    expect(parts.some((p) => p.buffer === blockBytes.buffer && p.length === blockBytes.length)).toBe(true);
    expect(parts.length).toBeLessThanOrEqual(6);
  });
});
