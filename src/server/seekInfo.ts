// Reads the SeekInfo of a Deliver request (orderer/ab.proto).
//
// Why not the block layer's decodeSeekInfo: it rejects uint64 values above
// 2^53 - 1, and Fabric's own clients (peer deliver client, gateway block
// events) ask for "until forever" as stop = specified{number: MaxUint64}.
// Here such a number saturates at SEEK_NUMBER_UNBOUNDED, which no block ever
// reaches. Deliver requests are rare (one per stream), so protobufjs's wire
// reader is fast enough.

import protobuf from 'protobufjs';
import {
  MalformedMessageError,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type SeekInfo,
  type SeekPosition,
} from '../block/index.js';

/** What a specified number above 2^53 - 1 (e.g. Go's math.MaxUint64) reads as. */
export const SEEK_NUMBER_UNBOUNDED = Number.MAX_SAFE_INTEGER;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** Decodes SeekInfo bytes; throws MalformedMessageError (code BAD_SEEK_INFO) naming the field. */
export function readSeekInfo(bytes: Uint8Array): SeekInfo {
  return withMalformedAs('seek_info', () => {
    const r = protobuf.Reader.create(bytes);
    let start: SeekPosition | undefined;
    let stop: SeekPosition | undefined;
    let behavior = SeekBehavior.BLOCK_UNTIL_READY;
    let errorResponse = SeekErrorResponse.STRICT;
    let contentType = SeekContentType.BLOCK;
    while (r.pos < r.len) {
      const key = r.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      if (field === 1 && wireType === WIRE_LEN) start = readSeekPosition(r.bytes(), 'seek_info.start');
      else if (field === 2 && wireType === WIRE_LEN) stop = readSeekPosition(r.bytes(), 'seek_info.stop');
      else if (field === 3 && wireType === WIRE_VARINT) behavior = r.int32();
      else if (field === 4 && wireType === WIRE_VARINT) errorResponse = r.int32();
      else if (field === 5 && wireType === WIRE_VARINT) contentType = r.int32();
      else skipField(r, field, wireType, 'seek_info', 5);
    }
    return { ...(start && { start }), ...(stop && { stop }), behavior, errorResponse, contentType };
  });
}

function readSeekPosition(bytes: Uint8Array, path: string): SeekPosition {
  const r = protobuf.Reader.create(bytes);
  let position: SeekPosition | undefined;
  while (r.pos < r.len) {
    const key = r.uint32();
    const field = key >>> 3;
    const wireType = key & 7;
    if (field >= 1 && field <= 4 && wireType !== WIRE_LEN) {
      throw new MalformedMessageError('BAD_SEEK_INFO', `${path}.field ${field}`, `wire type ${wireType}, expected ${WIRE_LEN}`);
    }
    if (field === 1) position = (r.bytes(), { type: 'newest' });
    else if (field === 2) position = (r.bytes(), { type: 'oldest' });
    else if (field === 3) position = { type: 'specified', number: readSpecifiedNumber(r.bytes(), `${path}.specified`) };
    else if (field === 4) position = (r.bytes(), { type: 'nextCommit' });
    else r.skipType(wireType);
  }
  if (position === undefined) {
    throw new MalformedMessageError('BAD_SEEK_INFO', path, 'no seek position set (newest, oldest, specified or next_commit)');
  }
  return position;
}

function readSpecifiedNumber(bytes: Uint8Array, path: string): number {
  const r = protobuf.Reader.create(bytes);
  let number = 0;
  while (r.pos < r.len) {
    const key = r.uint32();
    const field = key >>> 3;
    const wireType = key & 7;
    if (field === 1 && wireType === WIRE_VARINT) number = saturate(r.uint64());
    else skipField(r, field, wireType, path, 1);
  }
  return number;
}

/** protobufjs returns a Long when the `long` package is present, else a (rounded) number. */
function saturate(value: protobuf.Long | number): number {
  const asNumber = typeof value === 'number' ? value : (value.high >>> 0) * 2 ** 32 + (value.low >>> 0);
  return asNumber > SEEK_NUMBER_UNBOUNDED ? SEEK_NUMBER_UNBOUNDED : asNumber;
}

function skipField(r: protobuf.Reader, field: number, wireType: number, path: string, knownFieldMax: number): void {
  if (field === 0) throw new MalformedMessageError('BAD_SEEK_INFO', `${path}.key`, 'field number 0');
  if (field <= knownFieldMax) {
    throw new MalformedMessageError('BAD_SEEK_INFO', `${path}.field ${field}`, `unexpected wire type ${wireType}`);
  }
  r.skipType(wireType);
}

/** protobufjs signals truncation with RangeError/Error; report it as the block layer does. */
function withMalformedAs<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MalformedMessageError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MalformedMessageError('BAD_SEEK_INFO', path, reason, { cause: error });
  }
}
