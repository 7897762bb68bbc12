// A small self-describing binary encoding for stored records (tuples of
// integers, strings, byte strings, booleans and nested tuples), pure
// JavaScript. Both engines use it instead of msgpackr, whose decoder switches
// to a native addon (msgpackr-extract) process-wide when one is installed: the
// native-free engine must not load any addon.
//
//   value  = tag u8 | body
//   false  = 0x00   true = 0x01
//   number = 0x02 | f64 LE           (integers up to 2^53 are exact)
//   string = 0x03 | len u32 | utf8
//   bytes  = 0x04 | len u32 | bytes
//   tuple  = 0x05 | count u32 | value*
//
// Decoded byte strings are views into the input (copy what outlives it).

import { ShapeError } from './storedShapes.js';

enum Tag {
  False = 0,
  True = 1,
  Number = 2,
  String = 3,
  Bytes = 4,
  Tuple = 5,
}

/** Nesting bound: our records are at most 4 deep; garbage must not recurse without end. */
const depthMax = 16;

export type TupleValue = boolean | number | string | Uint8Array | readonly TupleValue[];

export function encodeTuple(value: TupleValue): Buffer {
  return Buffer.concat(encodeTupleParts(value));
}

/** The encoding as pieces (byte strings are views, not copies): for callers that frame it themselves. */
export function encodeTupleParts(value: TupleValue): Buffer[] {
  const parts: Buffer[] = [];
  write(value, parts, 0);
  return parts;
}

function write(v: TupleValue, out: Buffer[], depth: number): void {
  if (depth > depthMax) throw new RangeError(`tuple nested deeper than ${depthMax}`);
  if (typeof v === 'boolean') {
    out.push(Buffer.from([v ? Tag.True : Tag.False]));
  } else if (typeof v === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = Tag.Number;
    b.writeDoubleLE(v, 1);
    out.push(b);
  } else if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    out.push(header(Tag.String, s.length), s);
  } else if (v instanceof Uint8Array) {
    out.push(header(Tag.Bytes, v.length), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  } else {
    out.push(header(Tag.Tuple, v.length));
    for (const item of v) write(item, out, depth + 1);
  }
}

function header(tag: Tag, n: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = tag;
  b.writeUInt32LE(n, 1);
  return b;
}

/** Decodes exactly one value spanning all of `buf`; throws ShapeError on anything malformed. */
export function decodeTuple(buf: Buffer): TupleValue {
  const at = { pos: 0 };
  const v = read(buf, at, 0);
  if (at.pos !== buf.length) throw new ShapeError(`metadata has ${buf.length - at.pos} trailing bytes`);
  return v;
}

function need(buf: Buffer, at: { pos: number }, n: number): void {
  if (at.pos + n > buf.length) throw new ShapeError('metadata is cut short');
}

function read(buf: Buffer, at: { pos: number }, depth: number): TupleValue {
  if (depth > depthMax) throw new ShapeError(`metadata nested deeper than ${depthMax}`);
  need(buf, at, 1);
  const tag = buf[at.pos++]!;
  switch (tag) {
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Number: {
      need(buf, at, 8);
      const n = buf.readDoubleLE(at.pos);
      at.pos += 8;
      return n;
    }
    case Tag.String:
    case Tag.Bytes: {
      need(buf, at, 4);
      const len = buf.readUInt32LE(at.pos);
      at.pos += 4;
      need(buf, at, len);
      const body = buf.subarray(at.pos, at.pos + len);
      at.pos += len;
      return tag === Tag.String ? body.toString('utf8') : body;
    }
    case Tag.Tuple: {
      need(buf, at, 4);
      const count = buf.readUInt32LE(at.pos);
      at.pos += 4;
      // Each item takes at least one byte: a count beyond the rest is garbage.
      need(buf, at, count);
      const items: TupleValue[] = [];
      for (let i = 0; i < count; i++) items.push(read(buf, at, depth + 1));
      return items;
    }
    default:
      throw new ShapeError(`metadata has unknown tag ${tag}`);
  }
}
