// gRPC's message framing on an HTTP/2 stream (PROTOCOL-HTTP2.md in grpc's
// repository): each message is a 1-byte compressed flag, a 4-byte big-endian
// length and the message bytes. The reader turns DATA chunks into messages
// (inflating those the client compressed with the call's grpc-encoding, gzip
// or deflate, as grpc-js's server does); the writer frames one or several
// messages into one uncompressed buffer.

import zlib from 'node:zlib';

/** A message the reader refuses, with the gRPC status code the call ends with. */
export class GrpcFramingError extends Error {
  constructor(
    /** grpc status code: 8 RESOURCE_EXHAUSTED, 12 UNIMPLEMENTED, 13 INTERNAL. */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcFramingError';
  }
}

export const GRPC_RESOURCE_EXHAUSTED = 8;
export const GRPC_UNIMPLEMENTED = 12;
export const GRPC_INTERNAL = 13;
const PREFIX_BYTES = 5;

/** Splits DATA chunks into messages; a message split over chunks is joined once, when its last byte is in. */
export class GrpcMessageReader {
  /** Chunks of an unfinished message (its prefix first), joined when complete. */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** Bytes the unfinished message needs in all (prefix + length; the prefix alone while that is incomplete). */
  #needed = 0;

  /** `encoding`: the call's grpc-encoding header (identity when absent). */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly encoding = 'identity',
  ) {}

  /** No unfinished message is held: the next chunk starts with a message's prefix. */
  get idle(): boolean {
    return this.#partial.length === 0;
  }

  /** The messages `chunk` completes, in order; throws GrpcFramingError for a too large or undecodable message. */
  push(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this.#partial.length > 0) {
      this.#partial.push(chunk);
      this.#partialBytes += chunk.length;
      if (this.#partialBytes < this.#needed) return [];
      buf = Buffer.concat(this.#partial, this.#partialBytes);
      this.#partial = [];
      this.#partialBytes = 0;
    }
    const messages: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const left = buf.length - offset;
      if (left < PREFIX_BYTES) {
        this.#keep(buf.subarray(offset), PREFIX_BYTES);
        break;
      }
      const compressed = buf[offset] !== 0;
      const length = buf.readUInt32BE(offset + 1);
      if (length > this.maxMessageBytes) {
        throw new GrpcFramingError(GRPC_RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${this.maxMessageBytes})`);
      }
      if (left - PREFIX_BYTES < length) {
        this.#keep(buf.subarray(offset), PREFIX_BYTES + length);
        break;
      }
      const bytes = buf.subarray(offset + PREFIX_BYTES, offset + PREFIX_BYTES + length);
      messages.push(compressed ? this.#inflate(bytes) : bytes);
      offset += PREFIX_BYTES + length;
    }
    return messages;
  }

  /** Keeps the start of an unfinished message until `needed` bytes of it are in. */
  #keep(rest: Buffer, needed: number): void {
    if (rest.length === 0) return;
    this.#partial = [rest];
    this.#partialBytes = rest.length;
    this.#needed = needed;
  }

  /** A compressed message (rare: Fabric's clients do not compress), inflated to at most maxMessageBytes. */
  #inflate(bytes: Buffer): Buffer {
    if (this.encoding !== 'gzip' && this.encoding !== 'deflate') {
      throw new GrpcFramingError(GRPC_UNIMPLEMENTED, `Received message compressed with unsupported encoding "${this.encoding}"`);
    }
    const options = { maxOutputLength: this.maxMessageBytes };
    try {
      return this.encoding === 'gzip' ? zlib.gunzipSync(bytes, options) : zlib.inflateSync(bytes, options);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new GrpcFramingError(GRPC_RESOURCE_EXHAUSTED, `Received message that decompresses to a size larger than ${this.maxMessageBytes}`);
      }
      throw new GrpcFramingError(GRPC_INTERNAL, 'Failed to decompress message');
    }
  }
}

/** The messages framed back to back in one buffer (one write for a whole burst of answers). */
export function frameMessages(messages: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const m of messages) total += PREFIX_BYTES + m.byteLength;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const m of messages) {
    out[offset] = 0;
    out.writeUInt32BE(m.byteLength, offset + 1);
    out.set(m, offset + PREFIX_BYTES);
    offset += PREFIX_BYTES + m.byteLength;
  }
  return out;
}

/**
 * One message given as pieces (their concatenation), framed without joining
 * them: the 5-byte prefix, then the pieces themselves. Written back to back
 * they are the bytes frameMessages([joined]) returns.
 */
export function framePieces(pieces: readonly Uint8Array[]): Uint8Array[] {
  let length = 0;
  for (const piece of pieces) length += piece.byteLength;
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return [prefix, ...pieces.filter((piece) => piece.byteLength > 0)];
}
