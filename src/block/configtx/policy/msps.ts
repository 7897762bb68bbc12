// The MSPs a channel config defines, as the policy engine needs them: per MSP
// id its CAs (to validate a signer), its explicit admin certificates and its
// NodeOUs (which OU makes a certificate an admin, client, peer or orderer).
// Read from the Orderer and Application org groups of a config tree.

import { Buffer } from 'node:buffer';
import { decodePemBlocks, type OrganizationConfig } from '../../../crypto/index.js';
import { OrdererError } from '../../../errors.js';
import type { ConfigGroup } from '../model.js';
import { MSP_TYPE_FABRIC, decodeFabricMspConfig, decodeMspConfig } from '../mspValue.js';
import { MspRole } from '../policies.js';

export interface ChannelMsp {
  readonly mspId: string;
  readonly ca: OrganizationConfig;
  /** DER of the explicitly listed admins. */
  readonly adminDers: readonly Uint8Array[];
  /** OU identifier per NodeOUs role; undefined when NodeOUs are not enabled. */
  readonly nodeOus: ReadonlyMap<MspRole, string> | undefined;
}

const utf8 = new TextDecoder();

/** Every FABRIC MSP of the config's Orderer and Application organizations, by MSP id (first definition wins). */
export function channelMspsOf(channelGroup: ConfigGroup): Map<string, ChannelMsp> {
  const msps = new Map<string, ChannelMsp>();
  for (const section of ['Orderer', 'Application']) {
    const parent = channelGroup.groups.get(section);
    if (parent === undefined) continue;
    for (const [name, org] of parent.groups) {
      const value = org.values.get('MSP');
      if (value === undefined) continue;
      const ctx = { code: 'BAD_PROTOBUF', path: `channel_group.groups.${section}.groups.${name}.values.MSP` } as const;
      const msp = decodeMspConfig(value.value, ctx);
      if (msp.type !== MSP_TYPE_FABRIC) continue;
      const config = decodeFabricMspConfig(msp.config, ctx);
      if (config.name === '' || msps.has(config.name)) continue;
      const pems = (list: readonly Uint8Array[]) => list.map((b) => utf8.decode(b));
      const ous = config.fabricNodeOus;
      let nodeOus: Map<MspRole, string> | undefined;
      if (ous?.enable === true) {
        nodeOus = new Map();
        const roles: [MspRole, string | undefined][] = [
          [MspRole.ADMIN, ous.adminOuIdentifier?.organizationalUnitIdentifier],
          [MspRole.CLIENT, ous.clientOuIdentifier?.organizationalUnitIdentifier],
          [MspRole.PEER, ous.peerOuIdentifier?.organizationalUnitIdentifier],
          [MspRole.ORDERER, ous.ordererOuIdentifier?.organizationalUnitIdentifier],
        ];
        for (const [role, ou] of roles) if (ou !== undefined && ou !== '') nodeOus.set(role, ou);
      }
      msps.set(config.name, {
        mspId: config.name,
        ca: { mspId: config.name, rootCerts: pems(config.rootCerts), intermediateCerts: pems(config.intermediateCerts) },
        adminDers: pems(config.admins).flatMap((pem) => certificateDers(pem)),
        nodeOus,
      });
    }
  }
  return msps;
}

/** DER of each CERTIFICATE block of `pem`; nothing for text that is not PEM. */
export function certificateDers(pem: string): Uint8Array[] {
  try {
    return decodePemBlocks(pem, 'certificate')
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.der);
  } catch (err) {
    if (err instanceof OrdererError) return [];
    throw err;
  }
}

export const sameDer = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
