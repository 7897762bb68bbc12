// Client-side construction of Envelopes as Fabric's protoutil builds them
// (MakeChannelHeader, MakeSignatureHeader, CreateSignedEnvelope, ComputeTxID):
// for load generators, tests, and the orderer's own config transactions.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Hasher, Signer } from '../crypto/index.js';
import { encodeChannelHeader, encodeEnvelope, encodePayload, encodeSignatureHeader } from './codec/common.js';
import { NONCE_BYTES } from './blockMetadata.js';
import { EMPTY_BYTES, type Timestamp } from './model.js';

export interface EnvelopeCreator {
  readonly signer: Signer;
  /** Marshaled SerializedIdentity of `signer`. */
  readonly serializedIdentity: Uint8Array;
}

export interface EnvelopeSpec {
  /** A HeaderType (ENDORSER_TRANSACTION, CONFIG, ...). */
  readonly type: number;
  readonly channelId: string;
  /** Payload.data, already marshaled (e.g. a Transaction or ConfigEnvelope). */
  readonly data: Uint8Array;
  /** Who signs; undefined builds an unsigned envelope (as configtxgen's genesis transaction). */
  readonly creator?: EnvelopeCreator;
  /** Default: empty, as CreateSignedEnvelope leaves it; see computeTxId. */
  readonly txId?: string;
  /** Default: 24 random bytes. */
  readonly nonce?: Uint8Array;
  /** Default: now, whole seconds (MakeChannelHeader sets nanos to 0). */
  readonly timestamp?: Timestamp;
  readonly version?: number;
  readonly epoch?: number;
  readonly tlsCertHash?: Uint8Array;
}

/** Fabric's protoutil.ComputeTxID: hex SHA-256 of nonce ‖ creator (always SHA-256, also on GM channels). */
export function computeTxId(sha256: Hasher, nonce: Uint8Array, creator: Uint8Array): string {
  assert.equal(sha256.algorithm, 'sha256', 'Fabric computes transaction ids with SHA-256');
  return Buffer.from(sha256.digest(nonce, creator)).toString('hex');
}

/** A marshaled Envelope whose signature (if a creator is given) is over the marshaled Payload. */
export function createSignedEnvelope(spec: EnvelopeSpec): Uint8Array {
  const channelHeader = encodeChannelHeader({
    type: spec.type,
    version: spec.version ?? 0,
    timestamp: spec.timestamp ?? { seconds: Math.floor(Date.now() / 1000), nanos: 0 },
    channelId: spec.channelId,
    txId: spec.txId ?? '',
    epoch: spec.epoch ?? 0,
    extension: EMPTY_BYTES,
    tlsCertHash: spec.tlsCertHash ?? EMPTY_BYTES,
  });
  const signatureHeader = encodeSignatureHeader({
    creator: spec.creator?.serializedIdentity ?? EMPTY_BYTES,
    nonce: spec.nonce ?? new Uint8Array(randomBytes(NONCE_BYTES)),
  });
  const payload = encodePayload({ header: { channelHeader, signatureHeader }, data: spec.data });
  const signature = spec.creator === undefined ? EMPTY_BYTES : spec.creator.signer.sign(payload);
  return encodeEnvelope({ payload, signature });
}
