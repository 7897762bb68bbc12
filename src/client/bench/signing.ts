// Building signed ENDORSER_TRANSACTION envelopes of a chosen size, each with
// its own nonce and so its own Fabric tx id. Runs inside the signing processes
// (signProcess.ts) and, for small counts, in the caller.

import { randomBytes } from 'node:crypto';
import { computeTxId, createSignedEnvelope, encodeSerializedIdentity, HeaderType, NONCE_BYTES, type EnvelopeCreator } from '../../block/index.js';
import { loadLocalMsp } from '../../crypto/index.js';
import { createCryptoProvider } from '../../crypto/index.js';
import { txKeyOf } from './txKey.js';

/** gRPC's message prefix: a compressed flag and a 4-byte length. */
const GRPC_PREFIX_BYTES = 5;

export interface SignerSpec {
  /** Fabric local MSP directory (signcerts/, keystore/, cacerts/). */
  readonly mspDir: string;
  readonly mspId: string;
  readonly channelId: string;
  /** Target marshaled envelope size in bytes. */
  readonly envelopeBytes: number;
}

/**
 * `count` envelopes framed as gRPC messages back to back in one buffer:
 * message i is bytes[ends[i-1]..ends[i]), a 5-byte prefix (flag 0, big-endian
 * length) then the envelope, so a run of them is written to a Broadcast
 * stream as it is, without copying; keys[i] is its tx id's key (txKey.ts).
 * Three typed arrays and nothing per envelope: the harness receives a batch
 * as three views into one read buffer, with no string or object to collect.
 */
export interface SignedBatch {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
  readonly keys: Float64Array;
}

export function loadCreator(mspDir: string, mspId: string): EnvelopeCreator {
  const msp = loadLocalMsp(mspDir, { mspId, provider: createCryptoProvider('native') });
  return { signer: msp.signer, serializedIdentity: encodeSerializedIdentity({ mspid: msp.mspId, idBytes: new TextEncoder().encode(msp.certPem) }) };
}

export class EnvelopeSigner {
  readonly #spec: SignerSpec;
  readonly #creator: EnvelopeCreator;
  readonly #sha256 = createCryptoProvider('native').hasher('sha256');
  readonly #data: Uint8Array;

  constructor(spec: SignerSpec, creator: EnvelopeCreator = loadCreator(spec.mspDir, spec.mspId)) {
    this.#spec = spec;
    this.#creator = creator;
    // The payload data is padding: measured once so the whole envelope is about envelopeBytes long.
    const overhead = this.#build(new Uint8Array(0)).bytes.length;
    let dataBytes = Math.max(0, spec.envelopeBytes - overhead - 3);
    const probe = this.#build(new Uint8Array(dataBytes)).bytes.length;
    dataBytes = Math.max(0, dataBytes + (spec.envelopeBytes - probe));
    this.#data = new Uint8Array(randomBytes(dataBytes));
  }

  #build(data: Uint8Array): { txId: string; bytes: Uint8Array } {
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
    const txId = computeTxId(this.#sha256, nonce, this.#creator.serializedIdentity);
    const bytes = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: this.#spec.channelId, data, creator: this.#creator, nonce, txId });
    return { txId, bytes };
  }

  sign(count: number): SignedBatch {
    const parts: Uint8Array[] = [];
    const ends = new Uint32Array(count);
    const keys = new Float64Array(count);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const { txId, bytes } = this.#build(this.#data);
      parts.push(bytes);
      total += GRPC_PREFIX_BYTES + bytes.length;
      ends[i] = total;
      keys[i] = txKeyOf(txId);
    }
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    let offset = 0;
    for (const part of parts) {
      // The prefix: flag 0 (not compressed), then the length.
      view.setUint32(offset + 1, part.length);
      bytes.set(part, offset + GRPC_PREFIX_BYTES);
      offset += GRPC_PREFIX_BYTES + part.length;
    }
    return { bytes, ends, keys };
  }
}
