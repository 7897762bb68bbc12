// Protobuf wire writer producing Go's (Fabric's) canonical encoding:
// fields in field-number order (the caller writes them in that order),
// proto3 scalars omitted when zero/empty, sub-messages written when present
// (even if empty), repeated bytes written element by element (even empty ones),
// repeated scalars packed.
//
// Large byte fields are referenced, not copied, until `finish()` concatenates
// everything once: a block's envelopes are copied exactly one time.
// Assertions are written `if (!ok) assert.fail(message)` so that the message
// string is only built on failure: they run once per field.

import assert from 'node:assert/strict';
import { WIRE_LEN, WIRE_VARINT } from './reader.js';

const SCRATCH_BYTES = 256;
/** Byte fields at least this long are referenced instead of copied into scratch. */
const REFERENCE_MIN_BYTES = 64;
const utf8 = new TextEncoder();
/** 2^64 - 1 as a varint: nine bytes of seven 1-bits, then the 64th bit. */
const MAX_UINT64_VARINT = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);

export class ProtoWriter {
  /** Finished pieces, in order. Invariant: sum of their lengths + #scratchPos - #scratchStart = byteLength. */
  #parts: Uint8Array[] = [];
  #scratch = new Uint8Array(SCRATCH_BYTES);
  /** Start of the not-yet-flushed region of #scratch. */
  #scratchStart = 0;
  #scratchPos = 0;
  #byteLength = 0;

  get byteLength(): number {
    return this.#byteLength;
  }

  /** uint64/enum/int32 (non-negative) field; omitted when 0 as proto3 does. */
  uint64(field: number, value: number): this {
    if (value === 0) return this;
    this.#key(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  /** uint64 field holding Go's math.MaxUint64 (2^64 - 1), which a JS number cannot carry. */
  maxUint64(field: number): this {
    this.#key(field, WIRE_VARINT);
    this.#raw(MAX_UINT64_VARINT);
    return this;
  }

  /** A non-negative varint field written even when 0 (oneof members). */
  varintAlways(field: number, value: number): this {
    this.#key(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  /** int32/enum field; negative values take ten bytes, as in Go. Omitted when 0. */
  int32(field: number, value: number): this {
    if (!(Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff)) assert.fail(`int32 out of range: ${value}`);
    if (value === 0) return this;
    this.#key(field, WIRE_VARINT);
    if (value > 0) this.#varint(value);
    else this.#negativeVarint(value);
    return this;
  }

  /** int64 field (e.g. Timestamp.seconds). Omitted when 0. */
  int64(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) assert.fail(`int64 not a safe integer: ${value}`);
    if (value === 0) return this;
    this.#key(field, WIRE_VARINT);
    if (value > 0) this.#varint(value);
    else this.#negativeVarint(value);
    return this;
  }

  /** Singular bytes field; omitted when empty (proto3). */
  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined || value.length === 0) return this;
    return this.bytesAlways(field, value);
  }

  /** One element of a repeated bytes field, or a oneof member: written even when empty. */
  bytesAlways(field: number, value: Uint8Array): this {
    this.#key(field, WIRE_LEN);
    this.#varint(value.length);
    this.#raw(value);
    return this;
  }

  /** The key and length of a bytes field of `length` bytes, without the bytes: the caller sends them apart, right after this encoding. */
  bytesHeader(field: number, length: number): this {
    this.#key(field, WIRE_LEN);
    this.#varint(length);
    return this;
  }

  /** Singular string field; omitted when empty. */
  string(field: number, value: string): this {
    if (value.length === 0) return this;
    return this.bytesAlways(field, utf8.encode(value));
  }

  /** Sub-message field: written whenever present, even if it encodes to nothing. */
  message(field: number, sub: ProtoWriter | undefined): this {
    if (sub === undefined) return this;
    this.#key(field, WIRE_LEN);
    this.#varint(sub.byteLength);
    sub.#flush();
    for (const part of sub.#parts) this.#pushPart(part);
    return this;
  }

  /** Packed repeated uint64; omitted when empty. */
  packedUint64(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    let length = 0;
    for (const v of values) length += varintLength(v);
    this.#key(field, WIRE_LEN);
    this.#varint(length);
    for (const v of values) this.#varint(v);
    return this;
  }

  /** The encoded message in one new buffer. The writer must not be used afterwards. */
  /** The encoding, in one buffer; with `prefix`, that buffer is `prefix` ‖ encoding (still one allocation, one copy of each part). */
  finish(prefix?: Uint8Array): Uint8Array {
    this.#flush();
    if (this.#parts.length === 1 && prefix === undefined) return this.#parts[0]!;
    const out = new Uint8Array((prefix?.length ?? 0) + this.#byteLength);
    let offset = 0;
    if (prefix !== undefined) {
      out.set(prefix, 0);
      offset = prefix.length;
    }
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    assert.equal(offset, out.length);
    return out;
  }

  #key(field: number, wireType: number): void {
    if (!(Number.isInteger(field) && field > 0 && field < 0x2000_0000)) assert.fail(`bad field number ${field}`);
    this.#varint(field * 8 + wireType);
  }

  #varint(value: number): void {
    if (!(Number.isSafeInteger(value) && value >= 0)) assert.fail(`varint must be a safe non-negative integer: ${value}`);
    this.#reserve(10);
    const s = this.#scratch;
    let pos = this.#scratchPos;
    while (value >= 0x80) {
      s[pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    s[pos++] = value;
    this.#byteLength += pos - this.#scratchPos;
    this.#scratchPos = pos;
  }

  /** Negative integers are sign-extended to 64 bits: always ten bytes. */
  #negativeVarint(value: number): void {
    const big = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    const s = this.#scratch;
    let rest = big;
    for (let i = 0; i < 9; i++) {
      s[this.#scratchPos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    s[this.#scratchPos++] = Number(rest);
    this.#byteLength += 10;
  }

  #raw(value: Uint8Array): void {
    if (value.length >= REFERENCE_MIN_BYTES) {
      this.#flush();
      this.#pushPart(value);
      return;
    }
    this.#reserve(value.length);
    this.#scratch.set(value, this.#scratchPos);
    this.#scratchPos += value.length;
    this.#byteLength += value.length;
  }

  #pushPart(part: Uint8Array): void {
    this.#flush();
    if (part.length === 0) return;
    this.#parts.push(part);
    this.#byteLength += part.length;
  }

  #reserve(n: number): void {
    if (this.#scratchPos + n <= this.#scratch.length) return;
    this.#flush();
    // Flushed regions are referenced by #parts, so start a fresh scratch buffer.
    this.#scratch = new Uint8Array(Math.max(SCRATCH_BYTES, n));
    this.#scratchStart = 0;
    this.#scratchPos = 0;
  }

  /** Moves the unflushed scratch region into #parts (byteLength already counts it). */
  #flush(): void {
    if (this.#scratchPos === this.#scratchStart) return;
    this.#parts.push(this.#scratch.subarray(this.#scratchStart, this.#scratchPos));
    this.#scratchStart = this.#scratchPos;
  }
}

export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}
