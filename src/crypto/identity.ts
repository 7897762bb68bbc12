// Creator identities as Fabric has them: SerializedIdentity{mspid, id_bytes}
// with id_bytes a PEM X.509 certificate. A creator is accepted when its
// certificate is a member (not CA) certificate that chains to a CA of its own
// organization and every certificate of that chain is valid at `now`.
// Accepted creators are kept in a bounded LRU keyed by the creator bytes (a
// digest picks the slot, the full bytes are compared on a hit), so
// the steady-state cost per transaction is one signature check.
//
// Not checked (as of now): CRLs, Fabric OU identifiers / NodeOUs roles, and
// admin/orderer role policies. Those belong to policy evaluation, not here.

import assert from 'node:assert/strict';
import {
  CaAsCreatorError,
  CertificateExpiredError,
  CertificateNotYetValidError,
  CertificateParseError,
  CryptoEncodingError,
  UnknownMspError,
  UnsupportedAlgorithmError,
  UntrustedCertificateError,
} from './errors.js';
import { BytesKeyedLru } from './bytesKeyedLru.js';
import { loadOrganizations, mayHaveIssued, type Organization, type OrganizationConfig } from './msp.js';
import { decodePem } from './pem.js';
import type { Engine, SignatureAlgorithm } from './types.js';
import { parseCertificate, type ParsedCertificate } from './x509/certificate.js';
import { certificateSignatureCheck, type CertificateSignatureCheck } from './x509/signatureCheck.js';

/** Already-decoded SerializedIdentity (the protobuf belongs to src/block/). */
export interface SerializedIdentityInput {
  readonly mspId: string;
  /** PEM certificate. */
  readonly idBytes: Uint8Array;
}

/** Shared by every cache hit: treat as read-only (the publicKey bytes too). */
export interface ValidatedIdentity {
  readonly mspId: string;
  readonly algorithm: SignatureAlgorithm;
  /** Uncompressed SEC1 point, for Verifier.verify. */
  readonly publicKey: Uint8Array;
  readonly subject: string;
  /** Window in which every certificate of the chain is valid: [notBefore, notAfter]. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IdentityValidatorOptions {
  readonly engine: Engine;
  readonly organizations: readonly OrganizationConfig[];
  /** Bound of the accepted-creator cache; default 10 000. */
  readonly cacheEntriesMax?: number;
}

export const IDENTITY_CACHE_ENTRIES_DEFAULT = 10_000;
/** A PEM certificate is ~1 KiB; refuse anything absurd before parsing it. */
export const ID_BYTES_MAX = 64 * 1024;

/** Every certificate of the chain, leaf first, must be valid at `now`; the first one that is not names the error. */
function checkValidity(chain: readonly ParsedCertificate[], now: Date): void {
  for (const cert of chain) {
    if (now.getTime() > cert.notAfter.getTime()) throw new CertificateExpiredError(cert.subject, cert.notAfter, now);
    if (now.getTime() < cert.notBefore.getTime()) throw new CertificateNotYetValidError(cert.subject, cert.notBefore, now);
  }
}

function parseCreatorCertificate(idBytes: Uint8Array): ParsedCertificate {
  if (idBytes.length > ID_BYTES_MAX) throw new CertificateParseError(`creator id_bytes are ${idBytes.length} bytes, more than ${ID_BYTES_MAX}`);
  try {
    const block = decodePem(new TextDecoder().decode(idBytes), ['CERTIFICATE'], 'creator id_bytes');
    return parseCertificate(block.der);
  } catch (error) {
    if (error instanceof CryptoEncodingError || error instanceof UnsupportedAlgorithmError) {
      throw new CertificateParseError(error.message, { cause: error });
    }
    throw error;
  }
}

export class IdentityValidator {
  readonly #organizations: ReadonlyMap<string, Organization>;
  readonly #signedBy: CertificateSignatureCheck;
  readonly #cache: BytesKeyedLru<ValidatedIdentity>;
  // Monotonic counters for metrics: validations served from the cache / computed.
  #cacheHits = 0;
  #cacheMisses = 0;

  constructor(options: IdentityValidatorOptions) {
    const cacheEntriesMax = options.cacheEntriesMax ?? IDENTITY_CACHE_ENTRIES_DEFAULT;
    if (!Number.isSafeInteger(cacheEntriesMax) || cacheEntriesMax <= 0) {
      throw new RangeError('options.cacheEntriesMax must be a positive integer');
    }
    this.#signedBy = certificateSignatureCheck(options.engine);
    this.#organizations = loadOrganizations(options.organizations, this.#signedBy);
    this.#cache = new BytesKeyedLru(cacheEntriesMax);
  }

  /** Accepted creators currently cached (for metrics and tests). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  get cacheStats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.#cacheHits, misses: this.#cacheMisses };
  }

  get mspIds(): string[] {
    return [...this.#organizations.keys()];
  }

  /** The creator's key, or an IdentityError saying what is wrong with it. */
  validate(identity: SerializedIdentityInput, now: Date): ValidatedIdentity {
    const cached = this.#cache.get(identity.mspId, identity.idBytes);
    if (cached !== undefined) {
      this.#cacheHits++;
      // Expiry is re-checked on every hit: a cached creator must not outlive its certificate.
      if (now.getTime() > cached.notAfter.getTime()) {
        this.#cache.delete(identity.mspId, identity.idBytes);
        throw new CertificateExpiredError(cached.subject, cached.notAfter, now);
      }
      if (now.getTime() < cached.notBefore.getTime()) {
        throw new CertificateNotYetValidError(cached.subject, cached.notBefore, now);
      }
      return cached;
    }
    this.#cacheMisses++;
    const validated = this.#validateUncached(identity, now);
    this.#cache.set(identity.mspId, identity.idBytes, validated);
    return validated;
  }

  #validateUncached(identity: SerializedIdentityInput, now: Date): ValidatedIdentity {
    const organization = this.#organizations.get(identity.mspId);
    if (organization === undefined) throw new UnknownMspError(identity.mspId);
    const leaf = parseCreatorCertificate(identity.idBytes);
    if (leaf.isCa) throw new CaAsCreatorError(leaf.subject);
    const issuer = organization.cas.find((ca) => mayHaveIssued(ca.certificate, leaf) && this.#signedBy(leaf, ca.certificate));
    if (issuer === undefined) throw new UntrustedCertificateError(leaf.subject, identity.mspId);
    const chain = [leaf, ...issuer.pathToRoot];
    checkValidity(chain, now);
    const notBefore = Math.max(...chain.map((c) => c.notBefore.getTime()));
    const notAfter = Math.min(...chain.map((c) => c.notAfter.getTime()));
    assert.ok(notBefore <= now.getTime() && now.getTime() <= notAfter);
    return {
      mspId: identity.mspId,
      algorithm: leaf.publicKey.algorithm,
      publicKey: leaf.publicKey.publicKey,
      subject: leaf.subject,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
    };
  }
}
