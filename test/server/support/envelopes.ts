// Envelopes and fabric-protos messages for server tests.

import { common } from '@hyperledger/fabric-protos';
import {
  createSignedEnvelope,
  encodeChannelHeader,
  encodeEnvelope,
  encodePayload,
  encodeSeekInfo,
  encodeSerializedIdentity,
  encodeSignatureHeader,
  HeaderType,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type EnvelopeCreator,
  type SeekInfo,
  type Timestamp,
} from '../../../src/block/index.js';
import type { Signer } from '../../../src/crypto/types.js';

/** A signer whose signature is a fixed marker: the fake channels only check that one is present. */
const markerSigner: Signer = {
  algorithm: 'ecdsa-p256',
  publicKey: new Uint8Array(65),
  sign: () => new Uint8Array([0x30, 0x02, 0x01, 0x01]),
};

export function creator(mspId: string) {
  return { signer: markerSigner, serializedIdentity: encodeSerializedIdentity({ mspid: mspId, idBytes: new TextEncoder().encode('cert') }) };
}

export function transaction(channelId: string, data: string | Uint8Array, mspId = 'Org1MSP'): Uint8Array {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId, data: bytes, creator: creator(mspId) });
}

export function unsignedTransaction(channelId: string, data: string): Uint8Array {
  return createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId, data: new TextEncoder().encode(data) });
}

/** Every block from the oldest to the newest there is now, failing at once if the channel has none: the plainest Deliver request. */
export const oldestToNewest: SeekInfo = {
  start: { type: 'oldest' },
  stop: { type: 'newest' },
  behavior: SeekBehavior.FAIL_IF_NOT_READY,
  errorResponse: SeekErrorResponse.STRICT,
  contentType: SeekContentType.BLOCK,
};

/** A Deliver request; signed with a marker signature as `mspId`, or by `signedBy` for real checks. */
export function seekRequest(channelId: string, seek: SeekInfo | Uint8Array, mspId = 'Org1MSP', signedBy?: EnvelopeCreator): Uint8Array {
  const data = seek instanceof Uint8Array ? seek : encodeSeekInfo(seek);
  return createSignedEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId, data, creator: signedBy ?? creator(mspId) });
}

/** A Deliver request with a chosen channel-header timestamp, or none at all (which createSignedEnvelope cannot build). */
export function seekRequestAt(channelId: string, seek: SeekInfo, timestamp: Timestamp | undefined): Uint8Array {
  const channelHeader = encodeChannelHeader({
    type: HeaderType.DELIVER_SEEK_INFO,
    version: 0,
    ...(timestamp && { timestamp }),
    channelId,
    txId: '',
    epoch: 0,
    extension: new Uint8Array(0),
    tlsCertHash: new Uint8Array(0),
  });
  const signatureHeader = encodeSignatureHeader({ creator: creator('Org1MSP').serializedIdentity, nonce: new Uint8Array(24) });
  const payload = encodePayload({ header: { channelHeader, signatureHeader }, data: encodeSeekInfo(seek) });
  return encodeEnvelope({ payload, signature: new Uint8Array([0x30, 0x02, 0x01, 0x01]) });
}

/** Our bytes as a fabric-protos Envelope (decoded by Fabric's own bindings). */
export function toProtosEnvelope(bytes: Uint8Array): common.Envelope {
  return common.Envelope.deserializeBinary(bytes);
}

/** A fabric-protos Envelope with arbitrary payload bytes (e.g. garbage). */
export function protosEnvelopeWithPayload(payload: Uint8Array): common.Envelope {
  const envelope = new common.Envelope();
  envelope.setPayload(payload);
  envelope.setSignature(new Uint8Array([1]));
  return envelope;
}

/**
 * SeekInfo{start: oldest, stop: specified{math.MaxUint64}} byte for byte as Go
 * marshals it: what Fabric's clients send to stream "forever".
 */
export function seekOldestToMaxUint64(): Uint8Array {
  const maxUint64Varint = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  const specified = [0x08, ...maxUint64Varint];
  const stopPosition = [0x1a, specified.length, ...specified];
  const startPosition = [0x12, 0x00]; // SeekPosition{oldest: {}}
  return new Uint8Array([0x0a, startPosition.length, ...startPosition, 0x12, stopPosition.length, ...stopPosition]);
}
