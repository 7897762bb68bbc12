// Values stored by the LMDB engine carry a crc32 of their bytes: LMDB itself
// checksums nothing, and a flipped bit in a block or entry must stop start-up
// (or the read) with the record named, not hand garbage to Raft or Deliver.
//
// Layout: [crc32 u32 LE][tuple body (tupleCodec.ts)]; the crc covers the body.

import { crc32 } from 'node:zlib';
import { ShapeError } from './storedShapes.js';
import { decodeTuple, encodeTuple, type TupleValue } from './tupleCodec.js';

const headerBytes = 4;

export function seal(value: unknown): Buffer {
  const body = encodeTuple(value as TupleValue);
  const out = Buffer.allocUnsafe(headerBytes + body.length);
  out.writeUInt32LE(crc32(body), 0);
  body.copy(out, headerBytes);
  return out;
}

export type Unsealed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** The unpacked value, or why the bytes are bad (the caller names the record in its error). */
export function unseal(bytes: Uint8Array): Unsealed {
  if (bytes.length < headerBytes + 1) return { ok: false, reason: `value is ${bytes.length} bytes, shorter than its header` };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = buf.subarray(headerBytes);
  const stored = buf.readUInt32LE(0);
  const actual = crc32(body);
  if (stored !== actual) return { ok: false, reason: `crc32 mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})` };
  try {
    return { ok: true, value: decodeTuple(body) };
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, reason: `does not decode: ${err.message}` };
    throw err;
  }
}
