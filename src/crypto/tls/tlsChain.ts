// TLS certificate chains as Fabric checks consenters' TLS certificates
// (validateConsenterTLSCerts): one pool of TLS root and intermediate CAs, a
// leaf must be issued by a CA of the pool whose path ends at a root, and, when
// asked, every certificate of that path must be valid at `now`. Unlike the
// MSP identity code (src/crypto/identity.ts: P-256 and SM2 only, as Fabric's
// creators are), any algorithm OpenSSL verifies is accepted: TLS CAs are often
// RSA or P-384. SM2 certificates keep the MSP code's SM2 check.
//
// Not checked: CRLs, name constraints, extended key usage (Fabric's check
// passes ExtKeyUsageAny too).

import assert from 'node:assert/strict';
import { OrdererError } from '../../errors.js';
import { CryptoEncodingError } from '../errors.js';
import { CA_CHAIN_DEPTH_MAX } from '../msp.js';
import { decodePemBlocks } from '../pem.js';
import type { Engine } from '../types.js';
import { certificateSignatureCheck, type CertificateSignatureCheck } from '../x509/signatureCheck.js';
import { readTlsCertificate, tlsIssuedBy, type TlsCertificate } from './tlsCertificate.js';

export interface TlsCaPoolOptions {
  /** Verifies SM2-signed certificates (OpenSSL cannot); other algorithms always go through OpenSSL. */
  readonly engine: Engine;
  /** PEM texts; one may hold several certificates. */
  readonly rootCerts: readonly string[];
  readonly intermediateCerts: readonly string[];
}

/** Every orderer org of a channel pooled: 1024 orgs would be absurd, a few dozen CAs is a large channel. */
export const TLS_CA_CERTS_MAX = 4096;
/** A PEM certificate is 1-2 KiB (RSA 4096 ~2 KiB); refuse anything absurd before parsing it. */
export const TLS_LEAF_PEM_CHARS_MAX = 64 * 1024;

/** The TLS CAs themselves are unusable (not CAs, not self-signed, not chained to a root, unreadable). */
export class TlsCaConfigError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TLS_BAD_CA_CONFIG', message, options);
  }
}

export type TlsChainProblem = 'unparsable' | 'ca-as-leaf' | 'untrusted' | 'expired' | 'not-yet-valid';

/** Outcome of TlsCaPool.verify: a refusal is an expected answer, not an exception. */
export type TlsChainVerdict =
  | { readonly ok: true; readonly subject: string /** [leaf, issuer, ..., root] */; readonly chain: readonly TlsCertificate[] }
  | { readonly ok: false; readonly problem: TlsChainProblem; readonly message: string };

interface TrustedTlsCa {
  readonly certificate: TlsCertificate;
  /** [this CA, its issuer, ..., root]. Invariant: last element is a root; length <= CA_CHAIN_DEPTH_MAX. */
  readonly pathToRoot: readonly TlsCertificate[];
}

function readCaCerts(pems: readonly string[], kind: 'root' | 'intermediate'): TlsCertificate[] {
  const certs: TlsCertificate[] = [];
  pems.forEach((pem, index) => {
    const what = `TLS ${kind} certificate #${index}`;
    try {
      for (const block of decodePemBlocks(pem, what)) {
        if (block.label !== 'CERTIFICATE') throw new CryptoEncodingError(`${what} holds a "${block.label}" block, not a certificate`);
        certs.push(readTlsCertificate(block.der, what));
      }
    } catch (err) {
      if (!(err instanceof CryptoEncodingError)) throw err;
      throw new TlsCaConfigError(`${what} is unusable: ${err.message}`, { cause: err });
    }
  });
  for (const cert of certs) {
    if (!cert.isCa) throw new TlsCaConfigError(`TLS ${kind} certificate "${cert.subject}" is not a CA certificate`);
  }
  return certs;
}

/** First certificate of `chain` not valid at `now`, as a verdict; undefined when all are. */
function validityProblem(chain: readonly TlsCertificate[], now: Date): TlsChainVerdict | undefined {
  for (const cert of chain) {
    if (now.getTime() > cert.notAfter.getTime()) {
      return { ok: false, problem: 'expired', message: `certificate "${cert.subject}" expired at ${cert.notAfter.toISOString()} (now ${now.toISOString()})` };
    }
    if (now.getTime() < cert.notBefore.getTime()) {
      return {
        ok: false,
        problem: 'not-yet-valid',
        message: `certificate "${cert.subject}" is not valid before ${cert.notBefore.toISOString()} (now ${now.toISOString()})`,
      };
    }
  }
  return undefined;
}

export class TlsCaPool {
  readonly #cas: readonly TrustedTlsCa[];
  readonly #sm2SignedBy: CertificateSignatureCheck;

  /** Reads and chains the CAs once. Throws TlsCaConfigError naming the certificate that is unusable. */
  constructor(options: TlsCaPoolOptions) {
    this.#sm2SignedBy = certificateSignatureCheck(options.engine);
    const roots = readCaCerts(options.rootCerts, 'root');
    const intermediates = readCaCerts(options.intermediateCerts, 'intermediate');
    if (roots.length === 0) throw new TlsCaConfigError('no TLS root certificate');
    if (roots.length + intermediates.length > TLS_CA_CERTS_MAX) throw new TlsCaConfigError(`more than ${TLS_CA_CERTS_MAX} TLS CA certificates`);
    const cas: TrustedTlsCa[] = [];
    for (const root of roots) {
      if (!tlsIssuedBy(root, root, this.#sm2SignedBy)) throw new TlsCaConfigError(`TLS root certificate "${root.subject}" is not self-signed`);
      cas.push({ certificate: root, pathToRoot: [root] });
    }
    // Level by level: an intermediate is trusted once a trusted CA signed it.
    let pending = intermediates;
    while (pending.length > 0) {
      const unresolved: TlsCertificate[] = [];
      for (const cert of pending) {
        const issuer = cas.find((ca) => ca.pathToRoot.length < CA_CHAIN_DEPTH_MAX && tlsIssuedBy(cert, ca.certificate, this.#sm2SignedBy));
        if (issuer === undefined) unresolved.push(cert);
        else cas.push({ certificate: cert, pathToRoot: [cert, ...issuer.pathToRoot] });
      }
      if (unresolved.length === pending.length) {
        throw new TlsCaConfigError(`TLS intermediate certificate "${unresolved[0]!.subject}" does not chain to a TLS root certificate`);
      }
      pending = unresolved;
    }
    assert.ok(cas.length === roots.length + intermediates.length);
    this.#cas = cas;
  }

  /**
   * Whether the first certificate of `pem` is a non-CA certificate issued by a
   * CA of the pool; with `checkValidity`, every certificate of its path must
   * also be valid at `now` (of several paths, any valid one will do).
   */
  verify(pem: string, now: Date, checkValidity: boolean): TlsChainVerdict {
    let leaf: TlsCertificate;
    try {
      if (pem.length > TLS_LEAF_PEM_CHARS_MAX) throw new CryptoEncodingError(`PEM of ${pem.length} characters, more than ${TLS_LEAF_PEM_CHARS_MAX}`);
      const block = decodePemBlocks(pem, 'TLS certificate').find((b) => b.label === 'CERTIFICATE');
      if (block === undefined) throw new CryptoEncodingError('no PEM CERTIFICATE block');
      leaf = readTlsCertificate(block.der, 'TLS certificate');
    } catch (err) {
      if (!(err instanceof CryptoEncodingError)) throw err;
      return { ok: false, problem: 'unparsable', message: err.message };
    }
    // A CA as its own leaf would chain trivially (a root is issued by itself).
    if (leaf.isCa) return { ok: false, problem: 'ca-as-leaf', message: `certificate "${leaf.subject}" is a CA certificate, not a TLS end-entity certificate` };
    const chains = this.#cas.filter((ca) => tlsIssuedBy(leaf, ca.certificate, this.#sm2SignedBy)).map((ca) => [leaf, ...ca.pathToRoot]);
    if (chains.length === 0) {
      return { ok: false, problem: 'untrusted', message: `certificate "${leaf.subject}" is not issued by a TLS CA of an orderer organization` };
    }
    let firstProblem: TlsChainVerdict | undefined;
    for (const chain of chains) {
      const problem = checkValidity ? validityProblem(chain, now) : undefined;
      if (problem === undefined) return { ok: true, subject: leaf.subject, chain };
      firstProblem ??= problem;
    }
    assert.ok(firstProblem !== undefined && !firstProblem.ok);
    return firstProblem;
  }
}
