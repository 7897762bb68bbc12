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
  let payloadStart = 0;
  let payloadEnd = 0;
  let signature = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) {
      payloadStart = r.lenStart('payload');
      payloadEnd = r.pos;
    } else if (key === ((2 << 3) | WIRE_LEN)) signature = r.bytes('signature');
    else unknownOrMistyped(r, key, 2);
  }

  let headerStart = -1;
  let headerEnd = 0;
  r.reset(payloadStart, payloadEnd, 'envelope.payload');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) {
      headerStart = r.lenStart('header');
      headerEnd = r.pos;
    } else if (key === ((2 << 3) | WIRE_LEN)) r.lenStart('data');
    else unknownOrMistyped(r, key, 2);
  }
  if (headerStart < 0) r.fail('header', 'missing');

  let channelHeaderStart = 0;
  let channelHeaderEnd = 0;
  let signatureHeaderStart = 0;
  let signatureHeaderEnd = 0;
  r.reset(headerStart, headerEnd, 'envelope.payload.header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) {
      channelHeaderStart = r.lenStart('channel_header');
      channelHeaderEnd = r.pos;
    } else if (key === ((2 << 3) | WIRE_LEN)) {
      signatureHeaderStart = r.lenStart('signature_header');
      signatureHeaderEnd = r.pos;
    } else unknownOrMistyped(r, key, 2);
  }

  let headerType = 0;
  let channelId = '';
  let txId = '';
  r.reset(channelHeaderStart, channelHeaderEnd, 'envelope.payload.header.channel_header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_VARINT)) headerType = r.int32('type');
    else if (key === ((4 << 3) | WIRE_LEN)) channelId = r.string('channel_id');
    else if (key === ((5 << 3) | WIRE_LEN)) txId = r.string('tx_id');
    else skipChannelHeaderField(r, key);
  }

  let creator = EMPTY_BYTES;
  r.reset(signatureHeaderStart, signatureHeaderEnd, 'envelope.payload.header.signature_header');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) creator = r.bytes('creator');
    else if (key === ((2 << 3) | WIRE_LEN)) r.lenStart('nonce');
    else unknownOrMistyped(r, key, 2);
  }

  let creatorMspId = '';
  let creatorIdBytes = EMPTY_BYTES;
  const creatorStart = creator.byteOffset - buf.byteOffset;
  r.reset(creatorStart, creatorStart + creator.length, 'envelope.payload.header.signature_header.creator');
  while (!r.done) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) creatorMspId = r.string('mspid');
    else if (key === ((2 << 3) | WIRE_LEN)) creatorIdBytes = r.bytes('id_bytes');
    else unknownOrMistyped(r, key, 2);
  }

  const payload = buf.subarray(payloadStart, payloadEnd);
  return { payload, signature, headerType, channelId, txId, creator, creatorMspId, creatorIdBytes };
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
