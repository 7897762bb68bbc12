// The organizations of a channel and their certificate authorities, as
// Fabric's MSP config lists them: per MSP id, root CA certificates and
// intermediate CA certificates (PEM). Parsed and checked once, at load.

import assert from 'node:assert/strict';
import { CryptoEncodingError, MspConfigError, UnsupportedAlgorithmError } from './errors.js';
import { decodePemBlocks } from './pem.js';
import { parseCertificate, type ParsedCertificate } from './x509/certificate.js';
import type { CertificateSignatureCheck } from './x509/signatureCheck.js';

export interface OrganizationConfig {
  readonly mspId: string;
  /** PEM certificates of the root CAs (a string may hold several). */
  readonly rootCerts: readonly string[];
  readonly intermediateCerts: readonly string[];
}

/** A CA certificate with its verified path up to a root (itself for a root). */
export interface TrustedCa {
  readonly certificate: ParsedCertificate;
  /** [this CA, its issuer, ..., root]. Invariant: last element is a root; length <= CA_CHAIN_DEPTH_MAX. */
  readonly pathToRoot: readonly ParsedCertificate[];
}

export interface Organization {
  readonly mspId: string;
  readonly cas: readonly TrustedCa[];
}

/** Root + intermediates above a member certificate; Fabric deployments use 1-3. */
export const CA_CHAIN_DEPTH_MAX = 8;
export const ORGANIZATIONS_MAX = 1024;
export const CA_CERTS_PER_ORGANIZATION_MAX = 256;

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;

/** Could `issuer` have issued `child`? Names match, and key ids when both carry them. */
export function mayHaveIssued(issuer: ParsedCertificate, child: ParsedCertificate): boolean {
  if (!sameBytes(issuer.subjectName, child.issuerName)) return false;
  if (child.authorityKeyId !== undefined && issuer.subjectKeyId !== undefined) {
    return sameBytes(child.authorityKeyId, issuer.subjectKeyId);
  }
  return true;
}

function parseCaCerts(pems: readonly string[], mspId: string, kind: string): ParsedCertificate[] {
  const certs: ParsedCertificate[] = [];
  pems.forEach((pem, index) => {
    try {
      for (const block of decodePemBlocks(pem, `${kind} certificate #${index} of "${mspId}"`)) {
        if (block.label !== 'CERTIFICATE') throw new CryptoEncodingError(`a "${block.label}" block is not a certificate`);
        certs.push(parseCertificate(block.der));
      }
    } catch (error) {
      if (error instanceof CryptoEncodingError || error instanceof UnsupportedAlgorithmError) {
        throw new MspConfigError(`${kind} certificate #${index} of "${mspId}" is unusable: ${error.message}`, { cause: error });
      }
      throw error;
    }
  });
  for (const cert of certs) {
    if (!cert.isCa) throw new MspConfigError(`${kind} certificate "${cert.subject}" of "${mspId}" is not a CA certificate`);
  }
  return certs;
}

function loadOrganization(config: OrganizationConfig, signedBy: CertificateSignatureCheck): Organization {
  const { mspId } = config;
  const roots = parseCaCerts(config.rootCerts, mspId, 'root');
  const intermediates = parseCaCerts(config.intermediateCerts, mspId, 'intermediate');
  if (roots.length === 0) throw new MspConfigError(`MSP "${mspId}" has no root certificate`);
  if (roots.length + intermediates.length > CA_CERTS_PER_ORGANIZATION_MAX) {
    throw new MspConfigError(`MSP "${mspId}" lists more than ${CA_CERTS_PER_ORGANIZATION_MAX} CA certificates`);
  }
  const cas: TrustedCa[] = [];
  for (const root of roots) {
    if (!mayHaveIssued(root, root) || !signedBy(root, root)) {
      throw new MspConfigError(`root certificate "${root.subject}" of "${mspId}" is not self-signed`);
    }
    cas.push({ certificate: root, pathToRoot: [root] });
  }
  // Resolve intermediates level by level: each must be signed by an already trusted CA.
  let pending = intermediates;
  while (pending.length > 0) {
    const unresolved: ParsedCertificate[] = [];
    for (const cert of pending) {
      const issuer = cas.find((ca) => mayHaveIssued(ca.certificate, cert) && signedBy(cert, ca.certificate));
      if (issuer === undefined || issuer.pathToRoot.length >= CA_CHAIN_DEPTH_MAX) unresolved.push(cert);
      else cas.push({ certificate: cert, pathToRoot: [cert, ...issuer.pathToRoot] });
    }
    if (unresolved.length === pending.length) {
      throw new MspConfigError(`intermediate certificate "${unresolved[0]!.subject}" of "${mspId}" does not chain to a root CA of "${mspId}"`);
    }
    pending = unresolved;
  }
  return { mspId, cas };
}

/** Parses and checks every organization. Throws MspConfigError naming the MSP and certificate. */
export function loadOrganizations(configs: readonly OrganizationConfig[], signedBy: CertificateSignatureCheck): ReadonlyMap<string, Organization> {
  if (configs.length > ORGANIZATIONS_MAX) throw new MspConfigError(`more than ${ORGANIZATIONS_MAX} organizations`);
  const organizations = new Map<string, Organization>();
  for (const config of configs) {
    if (typeof config.mspId !== 'string' || config.mspId === '') throw new MspConfigError('an organization has an empty mspId');
    if (organizations.has(config.mspId)) throw new MspConfigError(`MSP id "${config.mspId}" is listed twice`);
    organizations.set(config.mspId, loadOrganization(config, signedBy));
  }
  assert.ok(organizations.size === configs.length);
  return organizations;
}
