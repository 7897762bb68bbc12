// Byte helpers shared by the block layer.

/**
 * The parts one after another in a new Uint8Array with its own ArrayBuffer.
 * Not Buffer.concat: small Buffers come from Node's shared pool, and these
 * bytes may be transferred to a worker, which would detach the whole pool.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
