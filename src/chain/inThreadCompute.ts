// ChainCompute on the calling thread: the same checks the worker pool runs,
// for tests and for a node without a pool. Identity validation results are
// cached per verification context (bounded LRU inside IdentityValidator).

import { MalformedMessageError, dataHash, messageSizeBytes, readEnvelopeFields } from '../block/index.js';
import { OrdererError } from '../errors.js';
import { IdentityValidator } from '../crypto/identity.js';
import { createCryptoProvider } from '../crypto/provider.js';
import type { Engine, HashAlgorithm } from '../crypto/types.js';
import type { ChainCompute, EnvelopeVerdict, VerificationContext } from './compute.js';

export class InThreadCompute implements ChainCompute {
  /** `engine`: whose hashers dataHash uses (both engines give the same digests). */
  constructor(private readonly engine: Engine = 'native') {}

  readonly #validators = new WeakMap<VerificationContext, IdentityValidator>();

  async verifyBatch(context: VerificationContext, envelopes: readonly Uint8Array[]): Promise<EnvelopeVerdict[]> {
    const validator = this.#validator(context);
    const verifier = createCryptoProvider(context.engine).verifier(context.signatureAlgorithm);
    const now = new Date();
    return envelopes.map((bytes) => verifyOne(context, validator, verifier, bytes, now));
  }

  async dataHash(algorithm: HashAlgorithm, envelopes: readonly Uint8Array[]): Promise<Uint8Array> {
    return dataHash(createCryptoProvider(this.engine).hasher(algorithm), envelopes);
  }

  #validator(context: VerificationContext): IdentityValidator {
    let validator = this.#validators.get(context);
    if (validator === undefined) {
      validator = new IdentityValidator({ engine: context.engine, organizations: context.organizations });
      this.#validators.set(context, validator);
    }
    return validator;
  }
}

function verifyOne(
  context: VerificationContext,
  validator: IdentityValidator,
  verifier: ReturnType<ReturnType<typeof createCryptoProvider>['verifier']>,
  bytes: Uint8Array,
  now: Date,
): EnvelopeVerdict {
  let fields;
  try {
    fields = readEnvelopeFields(bytes);
  } catch (err) {
    if (err instanceof MalformedMessageError) return { ok: false, status: 'BAD_REQUEST', info: `malformed envelope: ${err.message}` };
    throw err;
  }
  if (fields.channelId !== context.channelId) {
    return { ok: false, status: 'BAD_REQUEST', info: `envelope is for channel "${fields.channelId}", not "${context.channelId}"` };
  }
  if (fields.creator.length === 0) return { ok: false, status: 'FORBIDDEN', info: 'envelope has no creator' };
  let identity;
  try {
    identity = validator.validate({ mspId: fields.creatorMspId, idBytes: fields.creatorIdBytes }, now);
  } catch (err) {
    if (err instanceof OrdererError) return { ok: false, status: 'FORBIDDEN', info: `creator refused: ${err.message}` };
    throw err;
  }
  if (identity.algorithm !== context.signatureAlgorithm) {
    return { ok: false, status: 'FORBIDDEN', info: `creator key is ${identity.algorithm}, the channel signs with ${context.signatureAlgorithm}` };
  }
  if (!verifier.verify(identity.publicKey, fields.payload, fields.signature)) {
    return { ok: false, status: 'FORBIDDEN', info: `signature of "${identity.subject}" does not verify` };
  }
  return { ok: true, headerType: fields.headerType, txId: fields.txId, sizeBytes: messageSizeBytes(fields) };
}
