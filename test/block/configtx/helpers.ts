// Shared inputs of the configtx tests: the config envelopes of the real
// Fabric blocks, and a small etcdraft channel made with the dev PKI.

import { readFileSync } from 'node:fs';
import { decodeBlock } from '../../../src/block/codec/block.js';
import { decodeEnvelope, decodePayload } from '../../../src/block/codec/common.js';
import type { ChannelConfigInput } from '../../../src/block/configtx/build.js';
import { DEFAULT_RAFT_OPTIONS, type ConsenterValues } from '../../../src/block/configtx/channelValues.js';
import type { Block } from '../../../src/block/model.js';
import type { ChannelConfigValues } from '../../../src/block/configtx/channelValues.js';
import { proposeConfigUpdate, type ConfigUpdatePolicies } from '../../../src/block/configtx/configUpdate.js';
import { channelConfigValuesOf } from '../../../src/block/configtx/extract.js';
import type { Config } from '../../../src/block/configtx/model.js';
import { channelMspsOf, PolicyManager, SignerChecker } from '../../../src/block/configtx/policy/index.js';
import type { CurrentConfig } from '../../../src/block/configtx/update.js';
import type { Engine } from '../../../src/crypto/types.js';
import { DevOrganization, type DevIdentity } from '../../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import type { SignatureAlgorithm } from '../../../src/crypto/types.js';
import { genesisBlockPath, ledgerSampleDir } from '../fixtures.js';

export const sampleBlock0Path = `${ledgerSampleDir}/000.block`;

export function readBlock(file: string): Block {
  return decodeBlock(new Uint8Array(readFileSync(file)));
}

/** Payload.data of a block's only envelope: the marshaled ConfigEnvelope. */
export function configEnvelopeBytes(block: Block): Uint8Array {
  return decodePayload(decodeEnvelope(block.data[0]!).payload).data;
}

export const etcdraftGenesis = (): Block => readBlock(genesisBlockPath);

export interface TestChannel {
  readonly values: ChannelConfigInput;
  readonly ordererOrg: DevOrganization;
  readonly appOrg: DevOrganization;
  /** Listed in Org1MSP's admins (the application org has no NodeOUs). */
  readonly appAdmin: DevIdentity;
  /** TLS certificates for extra consenters: issue with `consenter(n)`. */
  consenter(n: number): ConsenterValues;
}

/** A 3-consenter etcdraft channel with one orderer org and one application org. */
export function makeTestChannel(algorithm: SignatureAlgorithm = 'ecdsa-p256', channelId = 'ch1'): TestChannel {
  const provider = createCryptoProvider('native');
  const ordererOrg = new DevOrganization({ mspId: 'OrdererMSP', algorithm, provider });
  const appOrg = new DevOrganization({ mspId: 'Org1MSP', algorithm, provider });
  const admin = ordererOrg.issueMember('Admin@orderer', { organizationalUnit: 'admin' });
  const appAdmin = appOrg.issueMember('Admin@org1');
  const consenter = (n: number): ConsenterValues => {
    const tls = ordererOrg.issueMember(`orderer${n}`, { subjectAltNames: ['127.0.0.1'] });
    return { host: '127.0.0.1', port: 7050 + n, clientTlsCertPem: tls.certPem, serverTlsCertPem: tls.certPem };
  };
  const values: ChannelConfigInput = {
    channelId,
    sequence: 0,
    consensusType: 'etcdraft',
    organizations: [
      {
        mspId: 'OrdererMSP',
        sections: ['orderer'],
        rootCerts: [ordererOrg.root.certPem],
        intermediateCerts: [],
        adminCerts: [admin.certPem],
        tlsRootCerts: [ordererOrg.root.certPem],
        tlsIntermediateCerts: [],
        adminOu: 'admin',
        ordererEndpoints: ['127.0.0.1:7051'],
      },
      {
        mspId: 'Org1MSP',
        sections: ['application'],
        rootCerts: [appOrg.root.certPem],
        intermediateCerts: [],
        adminCerts: [appAdmin.certPem],
        tlsRootCerts: [],
        tlsIntermediateCerts: [],
      },
    ],
    batchSize: { maxMessageCount: 100, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
    batchTimeoutMs: 250,
    consenters: [consenter(1), consenter(2), consenter(3)],
    raftOptions: DEFAULT_RAFT_OPTIONS,
    hashAlgorithm: algorithm === 'sm2' ? 'sm3' : 'sha256',
    ordererAddresses: [],
    capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] },
    hasApplicationGroup: true,
  };
  return { values, ordererOrg, appOrg, appAdmin, consenter };
}

/** The policies of `config` as the orderer builds them (its MSPs, its policy tree). */
export function policiesOfConfig(config: Config, engine: Engine = 'native'): ConfigUpdatePolicies {
  const msps = channelMspsOf(config.channelGroup!);
  return { manager: new PolicyManager(config.channelGroup!, msps), signers: new SignerChecker(msps, engine) };
}

/** What the orderer makes of a CONFIG_UPDATE envelope on `current`: the next config and its values. Throws ConfigUpdateError. */
export function applyConfigUpdate(
  current: CurrentConfig,
  updateEnvelope: Uint8Array,
  policies = policiesOfConfig(current.config),
): { config: Config; values: ChannelConfigValues } {
  const { config } = proposeConfigUpdate(current.channelId, current.config, decodeEnvelope(updateEnvelope), policies, new Date());
  return { config, values: channelConfigValuesOf(config, current.channelId) };
}
