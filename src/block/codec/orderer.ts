// Codec for orderer/ab.proto: SeekPosition, SeekInfo, BroadcastResponse,
// DeliverResponse. A oneof member is written whenever it is set, even with a
// default value (as Go does), so `status: UNKNOWN` still appears on the wire.

import {
  SEEK_MAX,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  Status,
  type BroadcastResponse,
  type DeliverResponse,
  type SeekInfo,
  type SeekPosition,
} from '../model.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import { ProtoWriter } from '../wire/writer.js';
import { decodeBlock, writeBlock } from './block.js';
import type { DecodeContext } from './common.js';
import { decodeFields, int32Field, messageField, stringField, type Draft, type FieldTable } from './fields.js';

/** The bytes of an empty sub-message (SeekNewest{}, SeekOldest{}, SeekNextCommit{}). */
const EMPTY_MESSAGE = new Uint8Array(0);

export function decodeSeekPosition(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_SEEK_INFO', path: 'seek_position' }): SeekPosition {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let position: SeekPosition | undefined;
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    switch (field) {
      case 1:
        r.expect(key, WIRE_LEN, 'newest');
        r.bytes('newest'); // SeekNewest has no fields; unknown ones are ignored
        position = { type: 'newest' };
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'oldest');
        r.bytes('oldest');
        position = { type: 'oldest' };
        break;
      case 3: {
        r.expect(key, WIRE_LEN, 'specified');
        const inner = new ProtoReader(r.bytes('specified'), ctx.code, `${ctx.path}.specified`);
        let number = 0;
        while (!inner.done) {
          const innerKey = inner.key();
          if (innerKey >>> 3 === 1) {
            inner.expect(innerKey, WIRE_VARINT, 'number');
            // The one uint64 that saturates: MaxUint64 is how Fabric clients say "forever".
            number = inner.uint64Saturating('number', SEEK_MAX);
          } else {
            inner.skip(innerKey & 7, `field ${innerKey >>> 3}`);
          }
        }
        position = { type: 'specified', number };
        break;
      }
      case 4:
        r.expect(key, WIRE_LEN, 'next_commit');
        r.bytes('next_commit');
        position = { type: 'nextCommit' };
        break;
      default:
        r.skip(key & 7, `field ${field}`);
    }
  }
  // Go leaves the oneof nil; Fabric's deliver handler rejects that as a bad seek position.
  if (position === undefined) return r.fail('Type', 'no seek position set (newest, oldest, specified or next_commit)');
  return position;
}

function writeSeekPosition(position: SeekPosition): ProtoWriter {
  const w = new ProtoWriter();
  switch (position.type) {
    case 'newest':
      return w.bytesAlways(1, EMPTY_MESSAGE);
    case 'oldest':
      return w.bytesAlways(2, EMPTY_MESSAGE);
    case 'specified':
      return w.message(3, writeSeekSpecified(position.number));
    case 'nextCommit':
      return w.bytesAlways(4, EMPTY_MESSAGE);
  }
}

function writeSeekSpecified(number: number): ProtoWriter {
  const w = new ProtoWriter();
  return number === SEEK_MAX ? w.maxUint64(1) : w.uint64(1, number);
}

export function encodeSeekPosition(position: SeekPosition): Uint8Array {
  return writeSeekPosition(position).finish();
}

const SEEK_INFO_FIELDS: FieldTable<Draft<SeekInfo>> = {
  1: messageField('start', 'start', decodeSeekPosition),
  2: messageField('stop', 'stop', decodeSeekPosition),
  3: int32Field('behavior', 'behavior'),
  4: int32Field('error_response', 'errorResponse'),
  5: int32Field('content_type', 'contentType'),
};

export function decodeSeekInfo(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_SEEK_INFO', path: 'seek_info' }): SeekInfo {
  return decodeFields<Draft<SeekInfo>>(bytes, ctx, SEEK_INFO_FIELDS, {
    behavior: SeekBehavior.BLOCK_UNTIL_READY,
    errorResponse: SeekErrorResponse.STRICT,
    contentType: SeekContentType.BLOCK,
  });
}

export function encodeSeekInfo(info: SeekInfo): Uint8Array {
  return new ProtoWriter()
    .message(1, info.start && writeSeekPosition(info.start))
    .message(2, info.stop && writeSeekPosition(info.stop))
    .int32(3, info.behavior)
    .int32(4, info.errorResponse)
    .int32(5, info.contentType)
    .finish();
}

const BROADCAST_RESPONSE_FIELDS: FieldTable<Draft<BroadcastResponse>> = {
  1: int32Field('status', 'status'),
  2: stringField('info', 'info'),
};

export function decodeBroadcastResponse(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_RESPONSE', path: 'broadcast_response' }): BroadcastResponse {
  return decodeFields<Draft<BroadcastResponse>>(bytes, ctx, BROADCAST_RESPONSE_FIELDS, { status: Status.UNKNOWN, info: '' });
}

export function encodeBroadcastResponse(response: BroadcastResponse): Uint8Array {
  return new ProtoWriter().int32(1, response.status).string(2, response.info).finish();
}

export function decodeDeliverResponse(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_RESPONSE', path: 'deliver_response' }): DeliverResponse {
  const raw = decodeDeliverResponseRaw(bytes, ctx);
  if (raw.type !== 'block') return raw;
  return { type: 'block', block: decodeBlock(raw.blockBytes, { code: ctx.code, path: `${ctx.path}.block` }) };
}

/** A DeliverResponse whose block is left marshaled: `blockBytes` is a view of the response's bytes. */
export type RawDeliverResponse =
  | { readonly type: 'status'; readonly status: Status }
  | { readonly type: 'block'; readonly blockBytes: Uint8Array }
  | { readonly type: 'none' };

/**
 * DeliverResponse without decoding its block: a block pulled from another
 * orderer is decoded once, by whoever verifies it (decoding it here and
 * marshaling it again cost a rejoining node as much as its verification).
 */
export function decodeDeliverResponseRaw(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_RESPONSE', path: 'deliver_response' }): RawDeliverResponse {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let response: RawDeliverResponse = { type: 'none' };
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'status');
        response = { type: 'status', status: r.int32('status') };
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'block');
        response = { type: 'block', blockBytes: r.bytes('block') };
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return response;
}

/** DeliverResponse; a block response copies the block's envelopes once. */
export function encodeDeliverResponse(response: DeliverResponse): Uint8Array {
  const w = new ProtoWriter();
  switch (response.type) {
    case 'status':
      return writeOneofStatus(w, response.status).finish();
    case 'block':
      return w.message(2, writeBlock(response.block)).finish();
    case 'none':
      return w.finish();
  }
}

/**
 * A DeliverResponse whose block is already marshaled (as the ledger stores it):
 * wraps the bytes without decoding them.
 */
export function encodeDeliverResponseBlockBytes(blockBytes: Uint8Array): Uint8Array {
  return new ProtoWriter().bytesAlways(2, blockBytes).finish();
}

/**
 * The bytes a DeliverResponse carrying an already marshaled block of
 * `blockLength` bytes starts with: this ‖ the block = encodeDeliverResponseBlockBytes(block),
 * for a block sent in pieces, never joined into one buffer.
 */
export function deliverResponseBlockHeader(blockLength: number): Uint8Array {
  return new ProtoWriter().bytesHeader(2, blockLength).finish();
}

/** A oneof enum member is written even when 0 (Go: the oneof wrapper is non-nil). */
function writeOneofStatus(w: ProtoWriter, status: Status): ProtoWriter {
  return status >= 0 ? w.varintAlways(1, status) : w.int32(1, status);
}
