// Buffers between grpc-js and the layers below.
//
// grpc-js hands each message over as a Buffer that may be a view into a
// larger allocation (Node's shared pool for small buffers). The chain may
// transfer an envelope's ArrayBuffer to a worker thread, which would detach
// every other view of that allocation, so the server passes on envelopes that
// own their whole ArrayBuffer, copying only when they do not.

/** `bytes` itself when it spans its whole ArrayBuffer, else a copy that does. */
export function ownedEnvelope(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer)) {
    return bytes;
  }
  return new Uint8Array(bytes);
}

/** A Buffer view of `bytes` (no copy), as grpc-js writes want. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
