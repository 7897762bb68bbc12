// The pure-JS record encoding: round-trips every value shape it supports, and
// garbage input fails with ShapeError (which engines turn into a corruption
// error naming the record), never with another exception.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { crc32Of, seal, unseal } from '../../src/storage/sealedValue.js';
import { ShapeError } from '../../src/storage/storedShapes.js';
import { decodeTuple, encodeTuple, type TupleValue } from '../../src/storage/tupleCodec.js';

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
