// Values stored by the LMDB engine carry a crc32 of their bytes: LMDB itself
// checksums nothing, and a flipped bit in a block or entry must stop start-up
// (or the read) with the record named, not hand garbage to Raft or Deliver.
//
// Layout: [crc32 u32 LE][tuple body (tupleCodec.ts)]; the crc covers the body.

import { crc32 } from 'node:zlib';
import { ShapeError } from './storedShapes.js';
import { decodeTuple, encodeTupleParts, type TupleValue } from './tupleCodec.js';

const headerBytes = 4;

/**
 * The sealed bytes of `value`, in a buffer from `alloc(size)` (exactly `size`
 * bytes; a fresh one by default, or reused scratch: scratchBuffers.ts).
 */
export function seal(value: unknown, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  // One copy of the (possibly 1 MiB) payload: the pieces go straight into the sealed buffer.
  const parts = encodeTupleParts(value as TupleValue);
  let size = headerBytes;
  for (const part of parts) size += part.length;
  const out = alloc(size);
  out.writeUInt32LE(crc32Of(parts), 0);
  let at = headerBytes;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * crc32 of the concatenation of `parts`. Empty parts are skipped: Node 20's
 * zlib.crc32 returns 0, not the running value, for a view over a zero-length
 * ArrayBuffer (e.g. an empty Uint8Array's bytes re-wrapped as a Buffer).
 */
export function crc32Of(parts: readonly Uint8Array[]): number {
  let crc = 0;
  for (const part of parts) if (part.length > 0) crc = crc32(part, crc);
  return crc;
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
