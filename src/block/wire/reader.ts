// Zero-copy protobuf wire reader. `bytes()` returns subarray views of the
// input: the caller keeps the input alive and unmodified while it uses them.
//
// Only what Fabric's messages need: varints (uint64/int64/int32/enum/bool),
// length-delimited fields, and skipping of fixed32/fixed64 unknown fields.
// Integers are JS numbers: a uint64 above 2^53 - 1 is rejected as malformed
// rather than silently rounded (block numbers and raft indexes never get there),
// except where a field opts into saturation (`uint64Saturating`).

import { MalformedMessageError, type MalformedCode } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_POW_32 = 0x1_0000_0000;
/** Largest `hi` word for which hi * 2^32 + lo is still a safe integer. */
const SAFE_HI_MAX = 0x1f_ffff;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const ASCII_FAST_PATH_MAX_BYTES = 256;

export class ProtoReader {
  /** Invariant: start <= pos <= end <= buf.length. */
  pos: number;
  end: number;
  /** Low and high 32-bit words of the last varint (two's complement for negatives). Invariant: 0 <= #hi < 2^32. */
  #lo = 0;
  #hi = 0;

  constructor(
    readonly buf: Uint8Array,
    /** Error code for anything malformed found by this reader. */
    readonly code: MalformedCode,
    /** Dotted path of the message being read, used in error messages. */
    public path: string,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Re-points the reader at buf[start, end) — a nested message — without allocating. */
  reset(start: number, end: number, path: string): this {
    this.pos = start;
    this.end = end;
    this.path = path;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(field: string, reason: string): never {
    throw new MalformedMessageError(this.code, `${this.path}.${field}`, reason);
  }

  /** Reads the next key; returns `(fieldNumber << 3) | wireType`. */
  key(): number {
    const key = this.#uint32('key');
    if (key >>> 3 === 0) this.fail('key', `field number 0 at offset ${this.pos}`);
    return key;
  }

  uint64(field: string): number {
    this.#varint(field);
    if (this.#hi > SAFE_HI_MAX) this.fail(field, 'value exceeds 2^53 - 1');
    return this.#hi * TWO_POW_32 + (this.#lo >>> 0);
  }

  /**
   * A uint64 where any value above 2^53 - 1 means "unbounded" (Go's
   * math.MaxUint64 as a limit): returns `saturated` for it instead of failing.
   */
  uint64Saturating(field: string, saturated: number): number {
    this.#varint(field);
    if (this.#hi > SAFE_HI_MAX) return saturated;
    return this.#hi * TWO_POW_32 + (this.#lo >>> 0);
  }

  int64(field: string): number {
    this.#varint(field);
    if (this.#hi & 0x8000_0000) {
      // Negative two's complement: negate the 64-bit value word-wise.
      const lo = (~this.#lo + 1) >>> 0;
      const hi = (~this.#hi + (lo === 0 ? 1 : 0)) >>> 0;
      if (hi > SAFE_HI_MAX) this.fail(field, 'value below -(2^53 - 1)');
      return -(hi * TWO_POW_32 + lo);
    }
    if (this.#hi > SAFE_HI_MAX) this.fail(field, 'value exceeds 2^53 - 1');
    return this.#hi * TWO_POW_32 + (this.#lo >>> 0);
  }

  /** int32 and enums: Go truncates the 64-bit varint to its low 32 bits. */
  int32(field: string): number {
    this.#varint(field);
    return this.#lo | 0;
  }

  bool(field: string): boolean {
    this.#varint(field);
    return this.#lo !== 0 || this.#hi !== 0;
  }

  /** A view of the field's bytes (no copy). */
  bytes(field: string): Uint8Array {
    const length = this.#uint32(field);
    const start = this.pos;
    if (length > this.end - start) this.fail(field, `length ${length} runs past the end of the message`);
    this.pos = start + length;
    return this.buf.subarray(start, start + length);
  }

  /**
   * Skips over a length-delimited field and returns where its content starts;
   * it ends at `pos` afterwards. For nested messages read in place (no view).
   */
  lenStart(field: string): number {
    const length = this.#uint32(field);
    const start = this.pos;
    if (length > this.end - start) this.fail(field, `length ${length} runs past the end of the message`);
    this.pos = start + length;
    return start;
  }

  /** proto3 strings must be valid UTF-8 (Go's unmarshal rejects them otherwise). */
  string(field: string): string {
    const start = this.lenStart(field);
    const end = this.pos;
    const buf = this.buf;
    // ASCII fast path straight from the buffer (ids are ASCII): no view, no decoder.
    if (end - start <= ASCII_FAST_PATH_MAX_BYTES) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if (buf[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii)
        return Buffer.isBuffer(buf) ? buf.toString('latin1', start, end) : String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
    }
    return decodeUtf8(buf.subarray(start, end)) ?? this.fail(field, 'string is not valid UTF-8');
  }

  /** Skips an unknown field of the given wire type. */
  skip(wireType: number, field: string): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.#varint(field);
        return;
      case WIRE_FIXED64:
        this.#advance(8, field);
        return;
      case WIRE_LEN:
        this.lenStart(field);
        return;
      case WIRE_FIXED32:
        this.#advance(4, field);
        return;
      default:
        this.fail(field, `unsupported wire type ${wireType}`);
    }
  }

  /** Asserts the wire type of a known field (a mismatch means malformed input). */
  expect(key: number, wireType: number, field: string): void {
    if ((key & 7) !== wireType) this.fail(field, `wire type ${key & 7}, expected ${wireType}`);
  }

  #advance(n: number, field: string): void {
    if (n > this.end - this.pos) this.fail(field, 'truncated');
    this.pos += n;
  }

  #uint32(field: string): number {
    const buf = this.buf;
    if (this.pos < this.end) {
      const b = buf[this.pos]!;
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
    this.#varint(field);
    if (this.#hi !== 0 || this.#lo < 0) this.fail(field, 'length or key exceeds 2^31 - 1');
    return this.#lo;
  }

  /** Decodes a varint into #lo/#hi. Rejects overlong encodings as Go's protowire does. */
  #varint(field: string): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) this.fail(field, 'truncated varint');
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return this.#setVarint(pos, lo, 0);
    }
    if (pos >= end) this.fail(field, 'truncated varint');
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >>> 4;
    if (b < 0x80) return this.#setVarint(pos, lo, hi);
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) this.fail(field, 'truncated varint');
      b = buf[pos++]!;
      if (shift === 31 && b > 1) this.fail(field, 'varint overflows 64 bits');
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return this.#setVarint(pos, lo, hi);
    }
    this.fail(field, 'varint overflows 64 bits');
  }

  #setVarint(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.#lo = lo;
    // Unsigned: with bit 63 set, `hi` is a negative int32 and would pass the `> SAFE_HI_MAX` checks.
    this.#hi = hi >>> 0;
  }
}

/**
 * UTF-8 decode with an ASCII fast path (channel and tx ids are ASCII).
 * Returns undefined for invalid UTF-8.
 */
export function decodeUtf8(view: Uint8Array): string | undefined {
  const n = view.length;
  if (n <= 128) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (view[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, view as unknown as number[]);
  }
  try {
    return utf8Strict.decode(view);
  } catch (err) {
    if (err instanceof TypeError) return undefined; // the decoder's signal for invalid UTF-8
    throw err;
  }
}
