// A Deliver request as Fabric's deliver handler parses it (common/deliver
// parseEnvelope): a signed Envelope of type DELIVER_SEEK_INFO whose
// Payload.data is a SeekInfo. Not a per-transaction path, so the channel
// header is decoded in full (the handler needs its timestamp).

import assert from 'node:assert/strict';
import { decodeChannelHeader, decodePayload } from './codec/common.js';
import { decodeSeekInfo, encodeSeekInfo } from './codec/orderer.js';
import { createSignedEnvelope, type EnvelopeCreator } from './envelopeBuilder.js';
import { readEnvelopeFields, type EnvelopeFields } from './envelopeFields.js';
import { HeaderType, type ChannelHeader, type SeekInfo, type Timestamp } from './model.js';

export interface DeliverRequest {
  /** Routing and signature fields, as for Broadcast (the request must be signed by a channel member). */
  readonly fields: EnvelopeFields;
  /** In full: Fabric rejects a request without a timestamp or outside its time window. */
  readonly channelHeader: ChannelHeader;
  /** Start and stop may be absent; Fabric answers BAD_REQUEST for that after access control. */
  readonly seekInfo: SeekInfo;
}

/**
 * Parses a Deliver request. Throws MalformedMessageError: BAD_ENVELOPE for the
 * envelope layers, BAD_SEEK_INFO (path `envelope.payload.data...`) for the SeekInfo.
 * The header type is returned, not checked: Fabric does not check it either.
 */
export function readDeliverRequest(envelope: Uint8Array): DeliverRequest {
  const fields = readEnvelopeFields(envelope);
  const payload = decodePayload(fields.payload, { code: 'BAD_ENVELOPE', path: 'envelope.payload' });
  assert(payload.header !== undefined, 'readEnvelopeFields accepted a payload without a header');
  const channelHeader = decodeChannelHeader(payload.header.channelHeader, { code: 'BAD_ENVELOPE', path: 'envelope.payload.header.channel_header' });
  const seekInfo = decodeSeekInfo(payload.data, { code: 'BAD_SEEK_INFO', path: 'envelope.payload.data' });
  return { fields, channelHeader, seekInfo };
}

export interface SeekInfoEnvelopeSpec {
  readonly channelId: string;
  readonly seekInfo: SeekInfo;
  readonly creator: EnvelopeCreator;
  /** SHA-256 of the client's TLS certificate when mutual TLS binds the request. */
  readonly tlsCertHash?: Uint8Array;
  readonly nonce?: Uint8Array;
  readonly timestamp?: Timestamp;
}

/** A signed Deliver request, as Fabric's deliver clients build it (CreateSignedEnvelopeWithTLSBinding). */
export function createSeekInfoEnvelope(spec: SeekInfoEnvelopeSpec): Uint8Array {
  return createSignedEnvelope({
    type: HeaderType.DELIVER_SEEK_INFO,
    channelId: spec.channelId,
    data: encodeSeekInfo(spec.seekInfo),
    creator: spec.creator,
    ...(spec.tlsCertHash && { tlsCertHash: spec.tlsCertHash }),
    ...(spec.nonce && { nonce: spec.nonce }),
    ...(spec.timestamp && { timestamp: spec.timestamp }),
  });
}
