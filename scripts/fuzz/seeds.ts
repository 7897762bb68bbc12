// A small etcdraft channel made with the dev PKI, whose genesis block and
// member certificates are the fuzzer's valid inputs: three consenters, one
// orderer organization with an admin, one application organization.

import { DEFAULT_RAFT_OPTIONS, type ChannelConfigInput, type ConsenterValues } from '../../src/block/index.js';
import { createCryptoProvider, DevOrganization } from '../../src/crypto/index.js';

export interface FuzzChannel {
  readonly values: ChannelConfigInput;
  readonly ordererOrg: DevOrganization;
  readonly appOrg: DevOrganization;
  consenter(n: number): ConsenterValues;
}

export function fuzzChannel(channelId: string): FuzzChannel {
  const provider = createCryptoProvider('native');
  const ordererOrg = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider });
  const appOrg = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
  const admin = ordererOrg.issueMember('Admin@orderer', { organizationalUnit: 'admin' });
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
        mspId: 'OrdererMSP', sections: ['orderer'], rootCerts: [ordererOrg.root.certPem], intermediateCerts: [],
        adminCerts: [admin.certPem], tlsRootCerts: [ordererOrg.root.certPem], tlsIntermediateCerts: [], adminOu: 'admin',
        ordererEndpoints: ['127.0.0.1:7051'],
      },
      {
        mspId: 'Org1MSP', sections: ['application'], rootCerts: [appOrg.root.certPem], intermediateCerts: [],
        adminCerts: [], tlsRootCerts: [], tlsIntermediateCerts: [],
      },
    ],
    batchSize: { maxMessageCount: 100, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
    batchTimeoutMs: 250,
    consenters: [consenter(1), consenter(2), consenter(3)],
    raftOptions: DEFAULT_RAFT_OPTIONS,
    hashAlgorithm: 'sha256',
    ordererAddresses: [],
    capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] },
    hasApplicationGroup: true,
  };
  return { values, ordererOrg, appOrg, consenter };
}
