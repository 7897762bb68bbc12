// The per-envelope hot path: pull out of Envelope bytes exactly what the
// orderer needs to route and authenticate a transaction, without decoding the
// rest and without copying: every Uint8Array returned is a view into the input.
//
// Envelope{payload: Payload{header: Header{channel_header: ChannelHeader{type,
// channel_id, tx_id}, signature_header: SignatureHeader{creator:
// SerializedIdentity{mspid, id_bytes}}}}, signature}
//
// Checked against the full codec (src/block/codec) and @hyperledger/fabric-protos
// on the real Fabric ledger in test/block/envelopeFields.test.ts.

import type { MalformedCode } from './errors.js';
import { EMPTY_BYTES } from './model.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from './wire/reader.js';

export interface EnvelopeFields {
  /** Marshaled Payload: the bytes the signature is over. */
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** ChannelHeader.type (a HeaderType). */
  readonly headerType: number;
  readonly channelId: string;
  /** Empty for config transactions of genesis blocks and many internal messages. */
  readonly txId: string;
  /** Marshaled SerializedIdentity: the natural cache key for validated creators. */
  readonly creator: Uint8Array;
  readonly creatorMspId: string;
  /** The creator's PEM certificate (X.509 MSPs). */
  readonly creatorIdBytes: Uint8Array;
}

/**
 * Reads the routing and authentication fields of an Envelope.
 * Throws MalformedMessageError (code BAD_ENVELOPE unless `code` says otherwise)
 * naming the field when the bytes are not a well-formed Envelope or when the
 * payload has no header. Missing creator or signature are NOT errors here:
 * they come back empty and the signature check rejects them.
 */
export function readEnvelopeFields(bytes: Uint8Array, code: MalformedCode = 'BAD_ENVELOPE'): EnvelopeFields {
  // One Buffer view over the input and one reader re-pointed at each nested
  // message in place: only the returned fields become views.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new ProtoReader(buf, code, 'envelope');
  const envelope = readEnvelopeLevel(r);
  const headers = readPayloadAndHeader(r, envelope.payload);
  const channel = readChannelHeaderFields(r, headers.channelHeader);
  const creator = readCreatorFields(r, headers.signatureHeader);
  return {
    payload: buf.subarray(envelope.payload.start, envelope.payload.end),
    signature: envelope.signature,
    headerType: channel.headerType,
    channelId: channel.channelId,
    txId: channel.txId,
    creator: creator.creator,
    creatorMspId: creator.mspId,
    creatorIdBytes: creator.idBytes,
  };
}

/** What a server needs to route an envelope to its channel. */
export interface EnvelopeRouting {
  /** ChannelHeader.type (a HeaderType). */
  readonly headerType: number;
  readonly channelId: string;
}

/**
 * The channel header's type and channel id alone: readEnvelopeFields without
 * the tx id, the creator or a view of the payload, for the server's routing of
 * every envelope (the worker that verifies it reads the rest). Same errors as
 * readEnvelopeFields for the path it reads.
 */
export function readEnvelopeRouting(bytes: Uint8Array, code: MalformedCode = 'BAD_ENVELOPE'): EnvelopeRouting {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new ProtoReader(buf, code, 'envelope');
  // The envelope level as readEnvelopeLevel reads it, without a view of the signature (the worker reads it).
  let payloadStart = 0;
  let payloadEnd = 0;
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) {
      payloadStart = r.lenStart('payload');
      payloadEnd = r.pos;
    } else if (key === ((2 << 3) | WIRE_LEN)) r.lenStart('signature');
    else unknownOrMistyped(r, key, 2);
  }
  const headers = readPayloadAndHeader(r, { start: payloadStart, end: payloadEnd });
  let headerType = 0;
  let channelId = '';
  r.reset(headers.channelHeader.start, headers.channelHeader.end, 'envelope.payload.header.channel_header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_VARINT)) headerType = r.int32('type');
    else if (key === ((4 << 3) | WIRE_LEN)) channelId = readChannelId(r);
    else skipChannelHeaderField(r, key);
  }
  return { headerType, channelId };
}

/**
 * The last string a field decoded, and a copy of its bytes: envelope after
 * envelope names the same channel and the same creator MSP, so the string is
 * reused when the bytes match instead of decoded (and allocated) again.
 */
interface RepeatedString {
  text: string;
  bytes: Uint8Array;
}

const lastChannelId: RepeatedString = { text: '', bytes: EMPTY_BYTES };
const lastMspId: RepeatedString = { text: '', bytes: EMPTY_BYTES };

/** ChannelHeader.channel_id at the reader's position, as r.string('channel_id') reads it (same errors). */
function readChannelId(r: ProtoReader): string {
  return readRepeatedString(r, 'channel_id', lastChannelId);
}

/** A string field at the reader's position, as r.string(field) reads it (same errors), `last` reused if its bytes match. */
function readRepeatedString(r: ProtoReader, field: string, last: RepeatedString): string {
  const at = r.pos;
  const start = r.lenStart(field);
  const end = r.pos;
  const known = last.bytes;
  if (end - start === known.length && known.length > 0) {
    const buf = r.buf;
    let same = true;
    for (let i = 0; i < known.length; i++) {
      if (buf[start + i] !== known[i]) {
        same = false;
        break;
      }
    }
    if (same) return last.text;
  }
  r.pos = at;
  const text = r.string(field);
  last.text = text;
  // A copy (Buffer#slice would be a view, keeping the client's receive buffer alive).
  last.bytes = new Uint8Array(r.buf.subarray(start, end));
  return text;
}

/**
 * The tx id (ChannelHeader.tx_id) of each envelope, in order — what the
 * ledger indexes for every committed block, on every node. Cheaper than
 * readEnvelopeFields per envelope: one reader over the block's buffer,
 * re-pointed at each envelope, and nothing read but the path to tx_id (no
 * channel id, creator or signature). Same errors as readEnvelopeFields.
 */
export function readTxIds(envelopes: readonly Uint8Array[], code: MalformedCode = 'BAD_ENVELOPE'): string[] {
  const out = new Array<string>(envelopes.length);
  if (envelopes.length === 0) return out;
  // A decoded block's envelopes are views into one buffer: one Buffer view over all of it.
  const backing = envelopes[0]!.buffer;
  const whole = Buffer.from(backing, 0, backing.byteLength);
  const shared = new ProtoReader(whole, code, 'envelope');
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    out[i] =
      e.buffer === backing
        ? readTxIdAt(shared, e.byteOffset, e.byteOffset + e.byteLength)
        : readTxIdAt(new ProtoReader(Buffer.from(e.buffer, e.byteOffset, e.byteLength), code, 'envelope'), 0, e.byteLength);
  }
  return out;
}

/** The tx id of the envelope at `r.buf[start, end)`, read with `r` (re-pointed, no allocation but the id). */
export function readTxIdAt(r: ProtoReader, start: number, end: number): string {
  const payload = readEnvelopeLevel(r.reset(start, end, 'envelope')).payload;
  return readChannelHeaderFields(r, readPayloadAndHeader(r, payload).channelHeader).txId;
}

/** [start, end) of a nested message inside the reader's buffer. */
interface Range {
  start: number;
  end: number;
}

function lenRange(r: ProtoReader, field: string): Range {
  const start = r.lenStart(field);
  return { start, end: r.pos };
}

function readEnvelopeLevel(r: ProtoReader): { payload: Range; signature: Uint8Array } {
  let payload: Range = { start: 0, end: 0 };
  let signature = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) payload = lenRange(r, 'payload');
    else if (key === ((2 << 3) | WIRE_LEN)) signature = r.bytes('signature');
    else unknownOrMistyped(r, key, 2);
  }
  return { payload, signature };
}

/** Payload -> Header -> the ranges of its channel and signature headers. */
function readPayloadAndHeader(r: ProtoReader, payload: Range): { channelHeader: Range; signatureHeader: Range } {
  let header: Range | undefined;
  r.reset(payload.start, payload.end, 'envelope.payload');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) header = lenRange(r, 'header');
    else if (key === ((2 << 3) | WIRE_LEN)) r.lenStart('data');
    else unknownOrMistyped(r, key, 2);
  }
  if (header === undefined) return r.fail('header', 'missing');

  let channelHeader: Range = { start: 0, end: 0 };
  let signatureHeader: Range = { start: 0, end: 0 };
  r.reset(header.start, header.end, 'envelope.payload.header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) channelHeader = lenRange(r, 'channel_header');
    else if (key === ((2 << 3) | WIRE_LEN)) signatureHeader = lenRange(r, 'signature_header');
    else unknownOrMistyped(r, key, 2);
  }
  return { channelHeader, signatureHeader };
}

function readChannelHeaderFields(r: ProtoReader, range: Range): { headerType: number; channelId: string; txId: string } {
  let headerType = 0;
  let channelId = '';
  let txId = '';
  r.reset(range.start, range.end, 'envelope.payload.header.channel_header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_VARINT)) headerType = r.int32('type');
    else if (key === ((4 << 3) | WIRE_LEN)) channelId = readChannelId(r);
    else if (key === ((5 << 3) | WIRE_LEN)) txId = r.string('tx_id');
    else skipChannelHeaderField(r, key);
  }
  return { headerType, channelId, txId };
}

/** SignatureHeader.creator, and the SerializedIdentity inside it. */
function readCreatorFields(r: ProtoReader, range: Range): { creator: Uint8Array; mspId: string; idBytes: Uint8Array } {
  let creator: Range = { start: 0, end: 0 };
  r.reset(range.start, range.end, 'envelope.payload.header.signature_header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) creator = lenRange(r, 'creator');
    else if (key === ((2 << 3) | WIRE_LEN)) r.lenStart('nonce');
    else unknownOrMistyped(r, key, 2);
  }

  let mspId = '';
  let idBytes = EMPTY_BYTES;
  r.reset(creator.start, creator.end, 'envelope.payload.header.signature_header.creator');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) mspId = readRepeatedString(r, 'mspid', lastMspId);
    else if (key === ((2 << 3) | WIRE_LEN)) idBytes = r.bytes('id_bytes');
    else unknownOrMistyped(r, key, 2);
  }
  return { creator: r.buf.subarray(creator.start, creator.end), mspId, idBytes };
}

/**
 * A key that is not one of the expected (field, wire type) pairs: a known
 * field (1..knownFieldMax, all length-delimited here) with the wrong wire type
 * is malformed; an unknown field is skipped as protobuf requires.
 */
function unknownOrMistyped(r: ProtoReader, key: number, knownFieldMax: number): void {
  const field = key >>> 3;
  if (field <= knownFieldMax) r.expect(key, WIRE_LEN, `field ${field}`);
  r.skip(key & 7, `field ${field}`);
}

/** ChannelHeader fields other than type/channel_id/tx_id, with their wire types checked. */
const CHANNEL_HEADER_WIRE_TYPES: Readonly<Record<number, number>> = {
  1: WIRE_VARINT, // type
  2: WIRE_VARINT, // version
  3: WIRE_LEN, // timestamp
  4: WIRE_LEN, // channel_id
  5: WIRE_LEN, // tx_id
  6: WIRE_VARINT, // epoch
  7: WIRE_LEN, // extension
  8: WIRE_LEN, // tls_cert_hash
};

function skipChannelHeaderField(r: ProtoReader, key: number): void {
  const field = key >>> 3;
  const expected = CHANNEL_HEADER_WIRE_TYPES[field];
  if (expected !== undefined) r.expect(key, expected, `field ${field}`);
  r.skip(key & 7, `field ${field}`);
}
