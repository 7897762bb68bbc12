// The organizations of a channel config: each org group's MSP value read as
// Fabric's msp.go does (MSPConfig of type FABRIC around FabricMSPConfig), the
// MSP id taken from FabricMSPConfig.name (not the group name), and the key
// type of the CA certificates, which decides the channel's signature algorithm.

import { Buffer } from 'node:buffer';
import { decodePemBlocks } from '../../crypto/index.js';
import type { SignatureAlgorithm } from '../../crypto/index.js';
import { parseCertificate } from '../../crypto/index.js';
import { OrdererError } from '../../errors.js';
import type { OrganizationSection, OrganizationValues } from './channelValues.js';
import { ChannelConfigError } from './errors.js';
import type { ConfigGroup } from './model.js';
import { MSP_TYPE_FABRIC, decodeFabricMspConfig, decodeMspConfig } from './mspValue.js';
import { decodeOrdererAddresses } from './values.js';

/** Bound on organizations per channel (src/crypto's ORGANIZATIONS_MAX is the verifier's). */
export const CHANNEL_ORGANIZATIONS_MAX = 1024;
const utf8 = new TextDecoder();

interface ReadOrganizations {
  readonly organizations: OrganizationValues[];
  /** Undefined when no organization is defined. */
  readonly signatureAlgorithm: SignatureAlgorithm | undefined;
}

export function readOrganizations(ordererGroup: ConfigGroup, applicationGroup: ConfigGroup | undefined): ReadOrganizations {
  const byMspId = new Map<string, { org: OrganizationValues; mspBytes: Uint8Array }>();
  let signatureAlgorithm: SignatureAlgorithm | undefined;
  let algorithmSource = '';
  const sections: [OrganizationSection, ConfigGroup | undefined, string][] = [
    ['orderer', ordererGroup, 'channel_group.groups.Orderer'],
    ['application', applicationGroup, 'channel_group.groups.Application'],
  ];
  for (const [section, parent, parentPath] of sections) {
    if (parent === undefined) continue;
    for (const [groupName, group] of parent.groups) {
      const path = `${parentPath}.groups.${groupName}`;
      const msp = group.values.get('MSP');
      if (msp === undefined) throw new ChannelConfigError(`${path}.values.MSP`, 'missing');
      const org = readOrganization(group, msp.value, section, path);
      const existing = byMspId.get(org.mspId);
      if (existing !== undefined) {
        if (Buffer.compare(existing.mspBytes, msp.value) !== 0) {
          throw new ChannelConfigError(`${path}.values.MSP`, `MSP "${org.mspId}" is defined twice with different configurations`);
        }
        byMspId.set(org.mspId, { org: { ...existing.org, sections: [...existing.org.sections, section] }, mspBytes: existing.mspBytes });
        continue;
      }
      if (byMspId.size >= CHANNEL_ORGANIZATIONS_MAX) throw new ChannelConfigError(parentPath, `more than ${CHANNEL_ORGANIZATIONS_MAX} organizations`);
      for (const [i, pem] of org.rootCerts.entries()) {
        const algorithm = caKeyAlgorithm(pem, `${path}.values.MSP.root_certs[${i}]`);
        if (signatureAlgorithm !== undefined && algorithm !== signatureAlgorithm) {
          throw new ChannelConfigError(
            `${path}.values.MSP.root_certs[${i}]`,
            `CA key is ${algorithm} but ${algorithmSource} is ${signatureAlgorithm}: a channel uses one signature algorithm`,
          );
        }
        signatureAlgorithm = algorithm;
        algorithmSource ||= `${path}.values.MSP.root_certs[${i}]`;
      }
      byMspId.set(org.mspId, { org, mspBytes: msp.value });
    }
  }
  return { organizations: [...byMspId.values()].map((entry) => entry.org), signatureAlgorithm };
}

function readOrganization(group: ConfigGroup, mspBytes: Uint8Array, section: OrganizationSection, path: string): OrganizationValues {
  const mspPath = `${path}.values.MSP`;
  const msp = decodeMspConfig(mspBytes, { code: 'BAD_PROTOBUF', path: `${mspPath}.value` });
  if (msp.type !== MSP_TYPE_FABRIC) throw new ChannelConfigError(`${mspPath}.type`, `MSP type ${msp.type} is not supported (only X.509 FABRIC, 0)`);
  const config = decodeFabricMspConfig(msp.config, { code: 'BAD_PROTOBUF', path: `${mspPath}.value.config` });
  if (config.name === '') throw new ChannelConfigError(`${mspPath}.config.name`, 'empty MSP id');
  if (config.rootCerts.length === 0) throw new ChannelConfigError(`${mspPath}.config.root_certs`, `MSP "${config.name}" has no root CA certificate`);
  const pem = (list: readonly Uint8Array[]) => list.map((bytes) => utf8.decode(bytes));
  const nodeOus = config.fabricNodeOus;
  const adminOu = nodeOus?.enable === true ? nodeOus.adminOuIdentifier?.organizationalUnitIdentifier : undefined;
  const endpoints = group.values.get('Endpoints');
  const ordererEndpoints =
    endpoints === undefined ? undefined : decodeOrdererAddresses(endpoints.value, { code: 'BAD_PROTOBUF', path: `${path}.values.Endpoints.value` }).addresses;
  return {
    mspId: config.name,
    sections: [section],
    rootCerts: pem(config.rootCerts),
    intermediateCerts: pem(config.intermediateCerts),
    adminCerts: pem(config.admins),
    tlsRootCerts: pem(config.tlsRootCerts),
    tlsIntermediateCerts: pem(config.tlsIntermediateCerts),
    ...(adminOu !== undefined && adminOu !== '' && { adminOu }),
    ...(ordererEndpoints !== undefined && { ordererEndpoints }),
  };
}

function caKeyAlgorithm(pem: string, path: string): SignatureAlgorithm {
  try {
    const blocks = decodePemBlocks(pem, path).filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length === 0) throw new ChannelConfigError(path, 'no PEM CERTIFICATE block');
    return parseCertificate(blocks[0]!.der).publicKey.algorithm;
  } catch (err) {
    if (err instanceof ChannelConfigError || !(err instanceof OrdererError)) throw err;
    throw new ChannelConfigError(path, `not a usable CA certificate: ${err.message}`);
  }
}
