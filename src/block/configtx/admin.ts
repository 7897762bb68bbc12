// Whether a member is an admin of an organization, as Fabric's MSP decides
// it (msp/mspimpl.go hasOURole / isAdmin): the certificate is
// listed in the MSP's admins, or NodeOUs are enabled and the certificate
// carries the admin OU. The caller must first have validated the certificate
// against the organization's CAs (src/crypto's IdentityValidator): this only
// decides the role of an already valid member. (Config updates are judged by
// the policy engine, policy/principals.ts, which applies the same rule.)

import { Buffer } from 'node:buffer';
import { decodePemBlocks } from '../../crypto/index.js';
import { parseCertificate } from '../../crypto/index.js';
import type { OrganizationValues } from './channelValues.js';

function derOf(pem: string, what: string): Uint8Array | undefined {
  return decodePemBlocks(pem, what).find((b) => b.label === 'CERTIFICATE')?.der;
}

/** Whether `certPem` (a member of `org`) is one of its admins. Throws CryptoEncodingError for a certificate that does not parse. */
export function isOrganizationAdmin(org: OrganizationValues, certPem: string): boolean {
  const der = derOf(certPem, 'submitter certificate');
  if (der === undefined) return false;
  for (const [i, admin] of org.adminCerts.entries()) {
    const adminDer = derOf(admin, `${org.mspId} admins[${i}]`);
    if (adminDer !== undefined && Buffer.compare(adminDer, der) === 0) return true;
  }
  if (org.adminOu === undefined) return false;
  return organizationalUnits(parseCertificate(der).subject).includes(org.adminOu);
}

/** The OU values of a subject printed "CN=a,OU=b,O=c". */
export function organizationalUnits(subject: string): string[] {
  return subject
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('OU='))
    .map((part) => part.slice(3));
}
