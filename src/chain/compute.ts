// The CPU-heavy work the chain hands off the main thread: checking client
// envelopes and hashing block data. The worker pool (src/workers) provides it
// in production; InThreadCompute (same checks, same results) stands in for
// tests and for a node run without a pool.

import type { OrganizationConfig } from '../crypto/msp.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../crypto/types.js';

/**
 * What a channel's envelopes are checked against. One object per channel for
 * its whole life: an implementation may register it once (e.g. in every
 * worker) and key its caches by the object.
 */
export interface VerificationContext {
  readonly channelId: string;
  readonly engine: Engine;
  readonly hashAlgorithm: HashAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly organizations: readonly OrganizationConfig[];
}

export type EnvelopeVerdict =
  | {
      readonly ok: true;
      /** ChannelHeader.type (a HeaderType). */
      readonly headerType: number;
      readonly txId: string;
      /** Fabric's message size: len(payload) + len(signature). */
      readonly sizeBytes: number;
    }
  | {
      readonly ok: false;
      /** BAD_REQUEST: malformed or for another channel; FORBIDDEN: creator or signature refused. */
      readonly status: 'BAD_REQUEST' | 'FORBIDDEN';
      /** Says what was wrong, naming the input (e.g. 'unknown MSP id "Org9MSP"'). */
      readonly info: string;
    };

export interface ChainCompute {
  /**
   * One verdict per envelope, in order. Checks: well-formed Envelope with a
   * header, channel id equal to the context's, creator certificate chaining to
   * one of the organizations and valid now, signature over the payload.
   * Envelopes are read, not retained or modified. Never rejects for a bad
   * envelope (that is a verdict); rejects only if the compute itself failed.
   */
  verifyBatch(context: VerificationContext, envelopes: readonly Uint8Array[]): Promise<EnvelopeVerdict[]>;
  /** Fabric's block data hash over `envelopes` (marshaled), with `algorithm`. */
  dataHash(algorithm: HashAlgorithm, envelopes: readonly Uint8Array[]): Promise<Uint8Array>;
}
