// Buffers between the gRPC transport and the layers below.
//
// A request message is a view into the HTTP/2 DATA chunk it arrived in, which
// holds other messages too. The chain may
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
