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
  const parts = encodeTupleParts(value);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * The encoding as pieces, for callers that frame it themselves: tags,
 * lengths, numbers, strings and small byte strings are packed together into
 * a few scratch buffers; byte strings of REFERENCE_MIN_BYTES or more are
 * views, not copies. (A block head's 500 tx ids make 3 pieces, not 1,000:
 * the checksum and the concatenation after it pay per piece.)
 */
export function encodeTupleParts(value: TupleValue): Buffer[] {
  const writer = new PartsWriter();
  writer.value(value, 0);
  return writer.finish();
}

/** Byte strings at least this long are referenced by the encoding's pieces instead of copied into scratch. */
const REFERENCE_MIN_BYTES = 4096;
const SCRATCH_FIRST_BYTES = 1024;
const SCRATCH_MAX_BYTES = 64 * 1024;

class PartsWriter {
  readonly #parts: Buffer[] = [];
  #scratch = Buffer.allocUnsafe(SCRATCH_FIRST_BYTES);
  /** Start of the part of #scratch not yet in #parts. Invariant: #start <= #pos <= #scratch.length. */
  #start = 0;
  #pos = 0;

  value(v: TupleValue, depth: number): void {
    if (depth > depthMax) throw new RangeError(`tuple nested deeper than ${depthMax}`);
    if (typeof v === 'boolean') {
      this.#reserve(1);
      this.#scratch[this.#pos++] = v ? Tag.True : Tag.False;
    } else if (typeof v === 'number') {
      this.#reserve(9);
      this.#scratch[this.#pos] = Tag.Number;
      this.#scratch.writeDoubleLE(v, this.#pos + 1);
      this.#pos += 9;
    } else if (typeof v === 'string') {
      const length = Buffer.byteLength(v, 'utf8');
      this.#header(Tag.String, length, length);
      this.#pos += this.#scratch.write(v, this.#pos, length, 'utf8');
    } else if (v instanceof Uint8Array) {
      if (v.length >= REFERENCE_MIN_BYTES) {
        this.#header(Tag.Bytes, v.length, 0);
        this.#flush();
        this.#parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      } else {
        this.#header(Tag.Bytes, v.length, v.length);
        this.#scratch.set(v, this.#pos);
        this.#pos += v.length;
      }
    } else {
      this.#header(Tag.Tuple, v.length, 0);
      for (const item of v) this.value(item, depth + 1);
    }
  }

  finish(): Buffer[] {
    this.#flush();
    return this.#parts;
  }

  /** Writes tag and length, with room for `bodyBytes` more behind them. */
  #header(tag: Tag, n: number, bodyBytes: number): void {
    this.#reserve(5 + bodyBytes);
    this.#scratch[this.#pos] = tag;
    this.#scratch.writeUInt32LE(n, this.#pos + 1);
    this.#pos += 5;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#scratch.length) return;
    this.#flush();
    // Regions already in #parts stay untouched: a fresh scratch, not a reuse.
    this.#scratch = Buffer.allocUnsafe(Math.max(n, Math.min(4 * this.#scratch.length, SCRATCH_MAX_BYTES)));
    this.#start = 0;
    this.#pos = 0;
  }

  #flush(): void {
    if (this.#pos > this.#start) this.#parts.push(this.#scratch.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
  }
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
