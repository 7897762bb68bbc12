// A Consensus frame whose entries carry large data (a block, ~500 KB), encoded
// as pieces: the msgpack around each large data field in small buffers, the
// data itself the entry's own buffer, not copied. The outgoing stream writes
// the pieces one after another (dial.ts), so a block reaches TLS without the
// two copies per follower that encoding into one buffer and gRPC's framing
// made (and the buffers they allocated, which drove the leader's GC).
//
// The bytes are the msgpack of the same tuple frames.ts encodes (frameToTuple),
// so any decoder reads them as before; integers at or above 2^32 and
// snapshots are left to msgpackr (undefined here).

import type { Message } from '../raft/index.js';
import { FrameKind } from './frames.js';

/** An entry's data at least this long is written as a piece of its own, not copied. */
export const PIECE_BYTES_MIN = 16 * 1024;

/** Encoded bytes in pieces, written back to back; `length` is their total, as a Buffer's. */
export class PiecedBytes {
  constructor(
    readonly pieces: readonly Buffer[],
    readonly length: number,
  ) {}
}

/** Frame bytes a send queue holds: one buffer, or pieces. */
export type FrameBytes = Buffer | PiecedBytes;

/** The buffers of frames written as one message, in order. */
export function piecesOf(frames: readonly FrameBytes[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (const frame of frames) {
    if (frame instanceof PiecedBytes) pieces.push(...frame.pieces);
    else pieces.push(frame);
  }
  return pieces;
}

const UINT32_LIMIT = 2 ** 32;

/** The Consensus frame as pieces, or undefined when no entry's data is large enough (or the message needs msgpackr: see above). */
export function consensusFramePieces(channel: string, m: Message): PiecedBytes | undefined {
  if (m.snapshot !== undefined || !m.entries.some((e) => e.data.length >= PIECE_BYTES_MIN)) return undefined;
  const ints = [m.type, m.to, m.from, m.term, m.logTerm, m.index, m.commit, m.rejectHint];
  for (const e of m.entries) ints.push(e.term, e.index, e.type);
  if (ints.some((n) => !(Number.isInteger(n) && n >= 0 && n < UINT32_LIMIT))) return undefined;
  const channelBytes = Buffer.from(channel, 'utf8');
  let small = 128 + channelBytes.length + (m.context?.length ?? 0);
  for (const e of m.entries) small += 32 + (e.data.length < PIECE_BYTES_MIN ? e.data.length : 0);
  const w = new PieceWriter(small);
  w.arrayHeader(3);
  w.uint(FrameKind.Consensus);
  w.str(channelBytes);
  w.arrayHeader(12);
  for (const n of [m.type, m.to, m.from, m.term, m.logTerm, m.index]) w.uint(n);
  w.arrayHeader(m.entries.length * 4);
  for (const e of m.entries) {
    w.uint(e.term);
    w.uint(e.index);
    w.uint(e.type);
    w.bin(e.data);
  }
  w.uint(m.commit);
  w.nil(); // snapshot
  w.byte(m.reject ? 0xc3 : 0xc2);
  w.uint(m.rejectHint);
  if (m.context === undefined) w.nil();
  else w.bin(m.context);
  return w.finish();
}

/** msgpack writer into one scratch buffer, cutting a piece around each large byte string. */
class PieceWriter {
  readonly #scratch: Buffer;
  #at = 0;
  #pieceStart = 0;
  readonly #pieces: Buffer[] = [];
  #length = 0;

  constructor(smallBytesMax: number) {
    this.#scratch = Buffer.allocUnsafe(smallBytesMax);
  }

  byte(b: number): void {
    this.#scratch[this.#at++] = b;
  }

  nil(): void {
    this.byte(0xc0);
  }

  uint(n: number): void {
    if (n < 0x80) this.byte(n);
    else if (n < 0x100) {
      this.byte(0xcc);
      this.byte(n);
    } else if (n < 0x10000) {
      this.byte(0xcd);
      this.#at = this.#scratch.writeUInt16BE(n, this.#at);
    } else {
      this.byte(0xce);
      this.#at = this.#scratch.writeUInt32BE(n, this.#at);
    }
  }

  arrayHeader(n: number): void {
    if (n < 16) this.byte(0x90 | n);
    else if (n < 0x10000) {
      this.byte(0xdc);
      this.#at = this.#scratch.writeUInt16BE(n, this.#at);
    } else {
      this.byte(0xdd);
      this.#at = this.#scratch.writeUInt32BE(n, this.#at);
    }
  }

  str(utf8: Buffer): void {
    const n = utf8.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x100) {
      this.byte(0xd9);
      this.byte(n);
    } else {
      this.byte(0xda);
      this.#at = this.#scratch.writeUInt16BE(n, this.#at);
    }
    this.#at += utf8.copy(this.#scratch, this.#at);
  }

  bin(data: Uint8Array): void {
    const n = data.length;
    if (n < 0x100) {
      this.byte(0xc4);
      this.byte(n);
    } else if (n < 0x10000) {
      this.byte(0xc5);
      this.#at = this.#scratch.writeUInt16BE(n, this.#at);
    } else {
      this.byte(0xc6);
      this.#at = this.#scratch.writeUInt32BE(n, this.#at);
    }
    if (n < PIECE_BYTES_MIN) {
      this.#scratch.set(data, this.#at);
      this.#at += n;
      return;
    }
    this.#cut();
    this.#pieces.push(Buffer.from(data.buffer, data.byteOffset, n));
    this.#length += n;
  }

  finish(): PiecedBytes {
    this.#cut();
    return new PiecedBytes(this.#pieces, this.#length);
  }

  #cut(): void {
    if (this.#at === this.#pieceStart) return;
    this.#pieces.push(this.#scratch.subarray(this.#pieceStart, this.#at));
    this.#length += this.#at - this.#pieceStart;
    this.#pieceStart = this.#at;
  }
}
