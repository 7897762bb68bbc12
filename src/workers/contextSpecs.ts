// What a caller gives to register a context, and its checked, filled spec.
// Only the shape is checked here (on the main thread, cheaply); certificates
// and keys are parsed in a worker at registration (loadContext).

import { IDENTITY_CACHE_ENTRIES_DEFAULT } from '../crypto/index.js';
import type { OrganizationConfig } from '../crypto/index.js';
import type { Engine, SignatureAlgorithm } from '../crypto/index.js';
import { PoolOptionsError } from './errors.js';
import type { SignerContextSpec, VerificationContextSpec } from './protocol.js';

export interface VerificationContextInput {
  readonly channelId: string;
  readonly engine: Engine;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly organizations: readonly OrganizationConfig[];
  /** Per worker; default IDENTITY_CACHE_ENTRIES_DEFAULT. */
  readonly identityCacheEntriesMax?: number;
}

export type SignerInput = Omit<SignerContextSpec, 'kind'>;

const ENGINES: readonly Engine[] = ['native', 'native-free'];
const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ecdsa-p256', 'sm2'];

/** Throws PoolOptionsError naming the bad field. */
export function verificationSpecOf(input: VerificationContextInput): VerificationContextSpec {
  const spec: VerificationContextSpec = {
    kind: 'verification',
    channelId: input.channelId,
    engine: input.engine,
    signatureAlgorithm: input.signatureAlgorithm,
    organizations: input.organizations,
    identityCacheEntriesMax: input.identityCacheEntriesMax ?? IDENTITY_CACHE_ENTRIES_DEFAULT,
  };
  if (typeof spec.channelId !== 'string' || spec.channelId === '') throw new PoolOptionsError('context.channelId must be a non-empty string');
  checkEngine('context.engine', spec.engine);
  checkSignatureAlgorithm('context.signatureAlgorithm', spec.signatureAlgorithm);
  if (!Array.isArray(spec.organizations)) throw new PoolOptionsError('context.organizations must be an array');
  if (!Number.isSafeInteger(spec.identityCacheEntriesMax) || spec.identityCacheEntriesMax <= 0) {
    throw new PoolOptionsError(`context.identityCacheEntriesMax must be a positive integer, got ${spec.identityCacheEntriesMax}`);
  }
  return spec;
}

/** Throws PoolOptionsError naming the bad field. */
export function signerSpecOf(input: SignerInput): SignerContextSpec {
  checkEngine('signer.engine', input.engine);
  checkSignatureAlgorithm('signer.algorithm', input.algorithm);
  if (typeof input.privateKeyPem !== 'string') throw new PoolOptionsError('signer.privateKeyPem must be a PEM string');
  if (!(input.serializedIdentity instanceof Uint8Array)) throw new PoolOptionsError('signer.serializedIdentity must be a Uint8Array');
  return {
    kind: 'signer',
    engine: input.engine,
    algorithm: input.algorithm,
    privateKeyPem: input.privateKeyPem,
    serializedIdentity: input.serializedIdentity,
  };
}

function checkEngine(name: string, engine: unknown): void {
  if (!ENGINES.includes(engine as Engine)) throw new PoolOptionsError(`${name} must be 'native' or 'native-free', got ${String(engine)}`);
}

function checkSignatureAlgorithm(name: string, algorithm: unknown): void {
  if (!SIGNATURE_ALGORITHMS.includes(algorithm as SignatureAlgorithm)) {
    throw new PoolOptionsError(`${name} must be 'ecdsa-p256' or 'sm2', got ${String(algorithm)}`);
  }
}
