// Verification of client envelopes against a channel's rules, as Fabric's
// broadcast filters do it for the signature part: the envelope must parse,
// belong to the channel, carry a creator that chains to one of the channel's
// organizations (valid now), and a signature by that creator over the payload.
//
// Malformed input or a wrong channel is BAD_REQUEST; an identity or signature
// that fails is FORBIDDEN (Fabric's ErrPermissionDenied), each with a stable
// code and a reason naming what was wrong. This is the same code the pool's
// workers run; benchmarks call it in-thread for the single-core rate.

import { messageSizeBytes } from '../block/index.js';
import { readEnvelopeFields, type EnvelopeFields } from '../block/index.js';
import { MalformedMessageError } from '../block/index.js';
import { Status } from '../block/index.js';
import { IdentityError } from '../crypto/index.js';
import { OrdererError } from '../errors.js';
import { IdentityValidator } from '../crypto/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import type { Verifier } from '../crypto/index.js';
import { REJECTION_CODES, type EnvelopeRejection, type EnvelopeVerdict, type VerificationContextSpec } from './protocol.js';

/** A channel's verification rules, parsed once (CA certificates checked) with its own creator LRU. */
export class VerificationContext {
  readonly channelId: string;
  readonly #spec: VerificationContextSpec;
  readonly #validator: IdentityValidator;
  readonly #verifier: Verifier;

  /** Throws MspConfigError (an OrdererError) naming the organization or certificate that is unusable. */
  constructor(spec: VerificationContextSpec) {
    this.#spec = spec;
    this.channelId = spec.channelId;
    this.#validator = new IdentityValidator({
      engine: spec.engine,
      organizations: spec.organizations,
      cacheEntriesMax: spec.identityCacheEntriesMax,
    });
    this.#verifier = createCryptoProvider(spec.engine).verifier(spec.signatureAlgorithm);
  }

  get identityCacheStats(): { readonly hits: number; readonly misses: number; readonly size: number } {
    return { ...this.#validator.cacheStats, size: this.#validator.cacheSize };
  }

  /**
   * The verdict on one marshaled Envelope. Never throws: any failure while
   * reading or checking this envelope is its own rejection (BAD_REQUEST while
   * reading, FORBIDDEN while checking its creator and signature), so one
   * envelope cannot fail the others of its batch. A failure that is not one
   * of the lower layers' OrdererErrors is still this envelope's answer, with
   * code UNEXPECTED and its stack in `cause` for the orderer's log.
   */
  verify(envelope: Uint8Array, now: Date): EnvelopeVerdict {
    let fields;
    try {
      fields = readEnvelopeFields(envelope);
    } catch (error) {
      if (error instanceof MalformedMessageError) return reject(Status.BAD_REQUEST, error.code, `malformed envelope: ${error.message}`);
      return unexpected(Status.BAD_REQUEST, 'reading the envelope', error);
    }
    try {
      return this.#check(fields, now);
    } catch (error) {
      if (error instanceof OrdererError) return reject(Status.FORBIDDEN, error.code, `tx "${fields.txId}": ${error.message}`);
      return unexpected(Status.FORBIDDEN, `checking tx "${fields.txId}"`, error);
    }
  }

  #check(fields: EnvelopeFields, now: Date): EnvelopeVerdict {
    if (fields.channelId !== this.channelId) {
      return reject(Status.BAD_REQUEST, REJECTION_CODES.wrongChannel, `envelope is for channel "${fields.channelId}", not "${this.channelId}"`);
    }
    if (fields.creator.length === 0 || fields.signature.length === 0) {
      return reject(Status.FORBIDDEN, REJECTION_CODES.unsigned, `tx "${fields.txId}" has no ${fields.creator.length === 0 ? 'creator' : 'signature'}`);
    }
    let identity;
    try {
      identity = this.#validator.validate({ mspId: fields.creatorMspId, idBytes: fields.creatorIdBytes }, now);
    } catch (error) {
      if (error instanceof IdentityError) return reject(Status.FORBIDDEN, error.code, `creator of tx "${fields.txId}": ${error.message}`);
      throw error;
    }
    if (identity.algorithm !== this.#spec.signatureAlgorithm) {
      return reject(
        Status.FORBIDDEN,
        REJECTION_CODES.algorithmMismatch,
        `creator "${identity.subject}" of tx "${fields.txId}" has a ${identity.algorithm} key; channel "${this.channelId}" requires ${this.#spec.signatureAlgorithm}`,
      );
    }
    if (!this.#verifier.verify(identity.publicKey, fields.payload, fields.signature)) {
      return reject(
        Status.FORBIDDEN,
        REJECTION_CODES.badSignature,
        `signature of tx "${fields.txId}" does not verify against creator "${identity.subject}" of "${identity.mspId}"`,
      );
    }
    return {
      ok: true,
      channelId: fields.channelId,
      txId: fields.txId,
      type: fields.headerType,
      sizeBytes: messageSizeBytes(fields),
      creatorValidUntilMs: identity.notAfter.getTime(),
    };
  }

  /** verdicts[i] is the verdict on envelopes[i]. */
  verifyAll(envelopes: readonly Uint8Array[], now: Date): EnvelopeVerdict[] {
    return envelopes.map((envelope) => this.verify(envelope, now));
  }
}

function reject(status: EnvelopeRejection['status'], code: string, reason: string): EnvelopeRejection {
  return { ok: false, status, code, reason };
}

/** A failure no lower layer names: the envelope's answer says what was being done; the stack goes to the log. */
function unexpected(status: EnvelopeRejection['status'], doing: string, error: unknown): EnvelopeRejection {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const cause = error instanceof Error && error.stack !== undefined ? error.stack : message;
  return { ok: false, status, code: REJECTION_CODES.unexpected, reason: `${doing} failed: ${message}`, cause };
}
