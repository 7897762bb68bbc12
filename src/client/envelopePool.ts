// Pre-signed transaction envelopes for load generation: signing happens
// before the clock starts, so the figures measure the orderer, not the client.

import { randomBytes } from 'node:crypto';
import { computeTxId, createSignedEnvelope, encodeSerializedIdentity, HeaderType, NONCE_BYTES, type EnvelopeCreator } from '../block/index.js';
import { loadLocalMsp } from '../crypto/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import type { Engine } from '../crypto/index.js';

/** Envelopes in one pool at most (1 KiB each: 64 MiB). */
export const ENVELOPE_POOL_MAX = 65_536;

/** A Fabric MSP directory (signcerts/, keystore/) and the MSP id it signs as. */
export interface ClientMsp {
  readonly mspDir: string;
  readonly mspId: string;
}

/** The envelope creator of a local MSP: its signer and its serialized identity. */
export function loadClientCreator(client: ClientMsp, engine: Engine = 'native'): EnvelopeCreator {
  const msp = loadLocalMsp(client.mspDir, { mspId: client.mspId, provider: createCryptoProvider(engine) });
  return {
    signer: msp.signer,
    serializedIdentity: encodeSerializedIdentity({ mspid: msp.mspId, idBytes: new TextEncoder().encode(msp.certPem) }),
  };
}

export interface SignedEnvelope {
  readonly txId: string;
  readonly bytes: Uint8Array;
}

export interface EnvelopePoolSpec {
  readonly channelId: string;
  readonly creator: EnvelopeCreator;
  readonly count: number;
  /** Target size of each marshaled envelope (the payload data is padded to reach it). Default 1024. */
  readonly envelopeBytes?: number;
  readonly engine?: Engine;
}

/**
 * `count` distinct ENDORSER_TRANSACTION envelopes, each with its own nonce and
 * Fabric tx id, signed by `creator`, about `envelopeBytes` long (DER
 * signatures vary by a couple of bytes).
 */
export function createEnvelopePool(spec: EnvelopePoolSpec): SignedEnvelope[] {
  if (!Number.isSafeInteger(spec.count) || spec.count < 1 || spec.count > ENVELOPE_POOL_MAX) {
    throw new RangeError(`spec.count must be 1..${ENVELOPE_POOL_MAX}, got ${spec.count}`);
  }
  const sha256 = createCryptoProvider(spec.engine ?? 'native').hasher('sha256');
  const target = spec.envelopeBytes ?? 1024;
  const build = (data: Uint8Array): SignedEnvelope => {
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
    const txId = computeTxId(sha256, nonce, spec.creator.serializedIdentity);
    const bytes = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: spec.channelId, data, creator: spec.creator, nonce, txId });
    return { txId, bytes };
  };
  // Size of everything but the data, measured once; the data's length prefix grows by a byte or two with it.
  const overhead = build(new Uint8Array(0)).bytes.length;
  let dataBytes = Math.max(0, target - overhead - 3);
  const probe = build(new Uint8Array(dataBytes)).bytes.length;
  dataBytes = Math.max(0, dataBytes + (target - probe));
  const pool: SignedEnvelope[] = [];
  for (let i = 0; i < spec.count; i++) pool.push(build(new Uint8Array(randomBytes(dataBytes))));
  return pool;
}
