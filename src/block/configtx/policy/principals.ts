// Whether a checked signer satisfies an MSPPrincipal, as Fabric's MSP
// SatisfiesPrincipal decides it for X.509 MSPs:
// - ROLE member: any valid identity of that MSP;
// - ROLE admin: listed in the MSP's admins, or NodeOUs enabled and the
//   certificate carries the admin OU;
// - ROLE client / peer / orderer: NodeOUs enabled and the certificate carries
//   that role's OU (without NodeOUs Fabric cannot tell them apart: never);
// - ORGANIZATION_UNIT: that MSP and the OU among the certificate's OUs;
// - IDENTITY: that very certificate of that MSP.
// ANONYMITY and COMBINED principals (idemix) are never satisfied here.

import { decodeSerializedIdentity } from '../../codec/common.js';
import { MspRole } from '../policies.js';
import { readFields } from '../wireHelpers.js';
import { WIRE_LEN } from '../../wire/reader.js';
import { decodeMspRole, PrincipalClassification, type MspPrincipal } from './decode.js';
import type { PolicyIdentity } from './identities.js';
import { certificateDers, sameDer, type ChannelMsp } from './msps.js';

const ctxOf = (path: string) => ({ code: 'BAD_PROTOBUF', path }) as const;

/** A principal compiled once: `satisfiedBy(identity)`. Throws MalformedMessageError for a principal that does not decode. */
export function compilePrincipal(principal: MspPrincipal, msps: ReadonlyMap<string, ChannelMsp>, path: string): (id: PolicyIdentity) => boolean {
  switch (principal.classification) {
    case PrincipalClassification.ROLE: {
      const { mspId, role } = decodeMspRole(principal.principal, ctxOf(path));
      const msp = msps.get(mspId);
      return (id) => id.mspId === mspId && msp !== undefined && hasRole(id, msp, role);
    }
    case PrincipalClassification.ORGANIZATION_UNIT: {
      const { mspId, ou } = decodeOrganizationUnit(principal.principal, ctxOf(path));
      return (id) => id.mspId === mspId && id.organizationalUnits.includes(ou);
    }
    case PrincipalClassification.IDENTITY: {
      const wanted = decodeSerializedIdentity(principal.principal, ctxOf(path));
      const ders = certificateDers(new TextDecoder().decode(wanted.idBytes));
      return (id) => id.mspId === wanted.mspid && ders.some((der) => sameDer(der, id.der));
    }
    default:
      return () => false;
  }
}

function hasRole(id: PolicyIdentity, msp: ChannelMsp, role: number): boolean {
  switch (role) {
    case MspRole.MEMBER:
      return true;
    case MspRole.ADMIN:
      return msp.adminDers.some((der) => sameDer(der, id.der)) || hasOu(id, msp, MspRole.ADMIN);
    case MspRole.CLIENT:
    case MspRole.PEER:
    case MspRole.ORDERER:
      return hasOu(id, msp, role);
    default:
      return false;
  }
}

function hasOu(id: PolicyIdentity, msp: ChannelMsp, role: MspRole): boolean {
  const ou = msp.nodeOus?.get(role);
  return ou !== undefined && id.organizationalUnits.includes(ou);
}

/** msp.OrganizationUnit{msp_identifier = 1, organizational_unit_identifier = 2, certifiers_identifier = 3}. */
function decodeOrganizationUnit(bytes: Uint8Array, ctx: { code: 'BAD_PROTOBUF'; path: string }): { mspId: string; ou: string } {
  let mspId = '';
  let ou = '';
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_LEN, 'msp_identifier');
      mspId = r.string('msp_identifier');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'organizational_unit_identifier');
      ou = r.string('organizational_unit_identifier');
      return true;
    }
    return false;
  });
  return { mspId, ou };
}
