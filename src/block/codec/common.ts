// Codec for the transaction-side messages of common/common.proto and
// msp/identities.proto: Envelope, Payload, Header, ChannelHeader (+ Timestamp),
// SignatureHeader, SerializedIdentity.
//
// Decoders return views into the input (no copies) and throw
// MalformedMessageError naming the field; unknown fields are skipped (and so
// not re-encoded). Encoders produce Go's canonical bytes.

import type { MalformedCode } from '../errors.js';
import {
  EMPTY_BYTES,
  type ChannelHeader,
  type Envelope,
  type Header,
  type Payload,
  type SerializedIdentity,
  type SignatureHeader,
  type Timestamp,
} from '../model.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import { ProtoWriter } from '../wire/writer.js';

export interface DecodeContext {
  readonly code: MalformedCode;
  /** Dotted path of this message in the enclosing input, for error messages. */
  readonly path: string;
}

export function decodeEnvelope(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_ENVELOPE', path: 'envelope' }): Envelope {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let payload = EMPTY_BYTES;
  let signature = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'payload');
        payload = r.bytes('payload');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'signature');
        signature = r.bytes('signature');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { payload, signature };
}

export function encodeEnvelope(env: Envelope): Uint8Array {
  return new ProtoWriter().bytes(1, env.payload).bytes(2, env.signature).finish();
}

export function decodePayload(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_ENVELOPE', path: 'payload' }): Payload {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let header: Header | undefined;
  let data = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'header');
        header = decodeHeader(r.bytes('header'), { code: ctx.code, path: `${ctx.path}.header` });
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'data');
        data = r.bytes('data');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return header === undefined ? { data } : { header, data };
}

export function encodePayload(payload: Payload): Uint8Array {
  return writePayload(payload).finish();
}

function writePayload(payload: Payload): ProtoWriter {
  const header = payload.header === undefined ? undefined : writeHeader(payload.header);
  return new ProtoWriter().message(1, header).bytes(2, payload.data);
}

export function decodeHeader(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_ENVELOPE', path: 'header' }): Header {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let channelHeader = EMPTY_BYTES;
  let signatureHeader = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'channel_header');
        channelHeader = r.bytes('channel_header');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'signature_header');
        signatureHeader = r.bytes('signature_header');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { channelHeader, signatureHeader };
}

export function encodeHeader(header: Header): Uint8Array {
  return writeHeader(header).finish();
}

function writeHeader(header: Header): ProtoWriter {
  return new ProtoWriter().bytes(1, header.channelHeader).bytes(2, header.signatureHeader);
}

export function decodeTimestamp(bytes: Uint8Array, ctx: DecodeContext): Timestamp {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let seconds = 0;
  let nanos = 0;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'seconds');
        seconds = r.int64('seconds');
        break;
      case 2:
        r.expect(key, WIRE_VARINT, 'nanos');
        nanos = r.int32('nanos');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { seconds, nanos };
}

function writeTimestamp(ts: Timestamp): ProtoWriter {
  return new ProtoWriter().int64(1, ts.seconds).int32(2, ts.nanos);
}

export function decodeChannelHeader(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_ENVELOPE', path: 'channel_header' }): ChannelHeader {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let type = 0;
  let version = 0;
  let timestamp: Timestamp | undefined;
  let channelId = '';
  let txId = '';
  let epoch = 0;
  let extension = EMPTY_BYTES;
  let tlsCertHash = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'type');
        type = r.int32('type');
        break;
      case 2:
        r.expect(key, WIRE_VARINT, 'version');
        version = r.int32('version');
        break;
      case 3:
        r.expect(key, WIRE_LEN, 'timestamp');
        timestamp = decodeTimestamp(r.bytes('timestamp'), { code: ctx.code, path: `${ctx.path}.timestamp` });
        break;
      case 4:
        r.expect(key, WIRE_LEN, 'channel_id');
        channelId = r.string('channel_id');
        break;
      case 5:
        r.expect(key, WIRE_LEN, 'tx_id');
        txId = r.string('tx_id');
        break;
      case 6:
        r.expect(key, WIRE_VARINT, 'epoch');
        epoch = r.uint64('epoch');
        break;
      case 7:
        r.expect(key, WIRE_LEN, 'extension');
        extension = r.bytes('extension');
        break;
      case 8:
        r.expect(key, WIRE_LEN, 'tls_cert_hash');
        tlsCertHash = r.bytes('tls_cert_hash');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  const base = { type, version, channelId, txId, epoch, extension, tlsCertHash };
  return timestamp === undefined ? base : { ...base, timestamp };
}

export function encodeChannelHeader(ch: ChannelHeader): Uint8Array {
  const timestamp = ch.timestamp === undefined ? undefined : writeTimestamp(ch.timestamp);
  return new ProtoWriter()
    .int32(1, ch.type)
    .int32(2, ch.version)
    .message(3, timestamp)
    .string(4, ch.channelId)
    .string(5, ch.txId)
    .uint64(6, ch.epoch)
    .bytes(7, ch.extension)
    .bytes(8, ch.tlsCertHash)
    .finish();
}

export function decodeSignatureHeader(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_ENVELOPE', path: 'signature_header' }): SignatureHeader {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let creator = EMPTY_BYTES;
  let nonce = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'creator');
        creator = r.bytes('creator');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'nonce');
        nonce = r.bytes('nonce');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { creator, nonce };
}

export function encodeSignatureHeader(sh: SignatureHeader): Uint8Array {
  return new ProtoWriter().bytes(1, sh.creator).bytes(2, sh.nonce).finish();
}

export function decodeSerializedIdentity(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_ENVELOPE', path: 'creator' }): SerializedIdentity {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let mspid = '';
  let idBytes = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'mspid');
        mspid = r.string('mspid');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'id_bytes');
        idBytes = r.bytes('id_bytes');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { mspid, idBytes };
}

export function encodeSerializedIdentity(id: SerializedIdentity): Uint8Array {
  return new ProtoWriter().string(1, id.mspid).bytes(2, id.idBytes).finish();
}
