// Packing byte entries into one ArrayBuffer for a trip to a worker thread.
//
// Why: structured clone of a Uint8Array copies its WHOLE backing ArrayBuffer,
// and gRPC hands envelopes out as views into larger receive buffers; one
// packed buffer costs one memcpy of exactly the batch bytes on the main thread
// and can then be transferred (zero-copy) instead of cloned.

import assert from 'node:assert/strict';
import type { PackedBytes } from './protocol.js';

/** Offsets are Uint32: a batch above 4 GiB is a programmer error long before that. */
export const PACKED_BYTES_MAX = 0xffff_ffff;

export function totalBytes(entries: readonly Uint8Array[]): number {
  let total = 0;
  for (const entry of entries) total += entry.byteLength;
  return total;
}

/** Copies `entries` into one fresh buffer the caller owns (and may transfer). */
export function packBytes(entries: readonly Uint8Array[]): PackedBytes {
  const total = totalBytes(entries);
  assert.ok(total <= PACKED_BYTES_MAX, `a packed batch must be under 4 GiB, got ${total} bytes`);
  const buffer = new ArrayBuffer(total);
  const out = new Uint8Array(buffer);
  const offsets = new Uint32Array(entries.length + 1);
  let offset = 0;
  entries.forEach((entry, i) => {
    offsets[i] = offset;
    out.set(entry, offset);
    offset += entry.byteLength;
  });
  offsets[entries.length] = offset;
  assert.equal(offset, total);
  return { buffer, offsets };
}

/** Views into `packed.buffer` (no copy): valid as long as the buffer is not transferred away. */
export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  const { buffer, offsets } = packed;
  assert.ok(offsets.length >= 1 && offsets[0] === 0, 'packed offsets must start at 0');
  const count = offsets.length - 1;
  assert.ok(offsets[count]! <= buffer.byteLength, 'packed offsets run past the buffer');
  const views = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    assert.ok(start <= end, `packed offsets must not decrease (entry ${i})`);
    views[i] = new Uint8Array(buffer, start, end - start);
  }
  return views;
}

/** The buffers to list for transfer of a packed batch. */
export function packedTransferList(packed: PackedBytes): ArrayBuffer[] {
  return [packed.buffer, packed.offsets.buffer as ArrayBuffer];
}

/**
 * `bytes` as a view whose whole ArrayBuffer it spans, so transferring that
 * buffer hands over exactly these bytes (copies only when it does not).
 */
export function exclusiveBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes;
  return new Uint8Array(bytes);
}
