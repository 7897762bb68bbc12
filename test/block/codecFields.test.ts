// The table-driven field reader the cold decoders share (src/block/codec/fields.ts):
// what it stores, what it skips, and how it names a bad field.

import { describe, expect, it } from 'vitest';
import type { DecodeContext } from '../../src/block/codec/common.js';
import {
  bytesField,
  decodeFields,
  int32Field,
  mapField,
  messageField,
  repeatedMessageField,
  stringField,
  uint64Field,
  type Draft,
  type FieldTable,
} from '../../src/block/codec/fields.js';
import { MalformedMessageError } from '../../src/block/errors.js';
import { EMPTY_BYTES } from '../../src/block/model.js';
import { ProtoWriter } from '../../src/block/wire/writer.js';

interface Inner {
  readonly n: number;
}
interface Outer {
  readonly id: number;
  readonly delta: number;
  readonly name: string;
  readonly blob: Uint8Array;
  readonly inner?: Inner;
  readonly list: Inner[];
  readonly byName: Map<string, Inner>;
}

const INNER: FieldTable<Draft<Inner>> = { 1: uint64Field('n', 'n') };
const decodeInner = (bytes: Uint8Array, ctx: DecodeContext): Inner => decodeFields<Draft<Inner>>(bytes, ctx, INNER, { n: 0 });
const OUTER: FieldTable<Draft<Outer>> = {
  1: uint64Field('id', 'id'),
  2: int32Field('delta', 'delta'),
  3: stringField('name', 'name'),
  4: bytesField('blob', 'blob'),
  5: messageField('inner', 'inner', decodeInner),
  6: repeatedMessageField('list', 'list', decodeInner),
  7: mapField('by_name', 'byName', decodeInner),
};
const ctx = { code: 'BAD_PROTOBUF', path: 'outer' } as const;
const decodeOuter = (bytes: Uint8Array): Outer =>
  decodeFields<Draft<Outer>>(bytes, ctx, OUTER, { id: 0, delta: 0, name: '', blob: EMPTY_BYTES, list: [], byName: new Map() });
const inner = (n: number): ProtoWriter => new ProtoWriter().uint64(1, n);
const entry = (key: string, value: ProtoWriter | undefined): ProtoWriter => {
  const w = new ProtoWriter();
  if (key !== '') w.string(1, key);
  return w.message(2, value);
};

function malformed(fn: () => unknown): MalformedMessageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MalformedMessageError) return err;
    throw err;
  }
  throw new Error('expected a MalformedMessageError');
}

describe('table-driven field reading', () => {
  it('stores each field the table names, and keeps the defaults of absent ones', () => {
    const bytes = new ProtoWriter()
      .uint64(1, 2 ** 40)
      .int32(2, -7)
      .string(3, 'ünïcode')
      .bytes(4, Uint8Array.of(1, 2, 3))
      .message(5, inner(9))
      .finish();
    const out = decodeOuter(bytes);
    expect(out).toEqual({ id: 2 ** 40, delta: -7, name: 'ünïcode', blob: Uint8Array.of(1, 2, 3), inner: { n: 9 }, list: [], byName: new Map() });
    const empty = decodeOuter(new Uint8Array(0));
    expect(empty).toEqual({ id: 0, delta: 0, name: '', blob: EMPTY_BYTES, list: [], byName: new Map() });
    expect('inner' in empty).toBe(false);
  });

  it('appends repeated messages in wire order and keeps the last value of a map key, as Go does', () => {
    const bytes = new ProtoWriter()
      .message(6, inner(1))
      .message(7, entry('a', inner(10)))
      .message(6, inner(2))
      .message(7, entry('b', inner(20)))
      .message(7, entry('a', inner(11)))
      .message(7, entry('', undefined))
      .finish();
    const out = decodeOuter(bytes);
    expect(out.list).toEqual([{ n: 1 }, { n: 2 }]);
    expect([...out.byName]).toEqual([
      ['a', { n: 11 }],
      ['b', { n: 20 }],
      ['', { n: 0 }],
    ]);
  });

  it('skips fields the table does not name, of every wire type', () => {
    const known = new ProtoWriter().uint64(1, 5).finish();
    const unknown = Uint8Array.of(
      (10 << 3) | 0,
      0x96,
      0x01, // varint
      (11 << 3) | 1,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // fixed64
      (12 << 3) | 2,
      2,
      0xaa,
      0xbb, // length-delimited
      (13 << 3) | 5,
      1,
      2,
      3,
      4, // fixed32
    );
    const out = decodeOuter(new Uint8Array([...unknown, ...known]));
    expect(out.id).toBe(5);
  });

  it('names the field path of a wrong wire type, a bad string and a bad sub-message', () => {
    const wrongType = new ProtoWriter().bytes(1, Uint8Array.of(1)).finish();
    expect(malformed(() => decodeOuter(wrongType)).field).toBe('outer.id');
    const badUtf8 = new ProtoWriter().bytes(3, Uint8Array.of(0xff, 0xfe)).finish();
    expect(malformed(() => decodeOuter(badUtf8)).field).toBe('outer.name');
    const badInner = new ProtoWriter().message(6, inner(1)).message(6, new ProtoWriter().string(1, 'x')).finish();
    expect(malformed(() => decodeOuter(badInner)).field).toBe('outer.list[1].n');
    const badMapValue = new ProtoWriter().message(7, entry('k', new ProtoWriter().string(1, 'x'))).finish();
    expect(malformed(() => decodeOuter(badMapValue)).field).toBe('outer.by_name.k.n');
    const badMapKey = new ProtoWriter().message(7, new ProtoWriter().bytes(1, Uint8Array.of(0xc3))).finish();
    expect(malformed(() => decodeOuter(badMapKey)).field).toBe('outer.by_name.key');
    const truncated = malformed(() => decodeOuter(Uint8Array.of((4 << 3) | 2, 5, 1)));
    expect([truncated.code, truncated.field]).toEqual(['BAD_PROTOBUF', 'outer.blob']);
  });
});
