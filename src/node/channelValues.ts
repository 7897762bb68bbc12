// A channel config FILE (src/config) as configtx's ChannelConfigInput, so the
// genesis block of a channel created from files carries the channel's real
// config tree (Fabric's shape: the config lives in block 0) and a node that
// joins the channel later can read it from the block.

import type { ChannelConfigInput } from '../block/index.js';
import type { ChannelConfig } from '../config/index.js';

/**
 * Every organization of the file is put in both the Orderer and the
 * Application groups: the file does not say which organizations run orderers,
 * and both may Broadcast and Deliver. Consenters keep file order, so Raft ids
 * read back from the block are positional (1..n, Fabric's rule): the file's
 * ids must be 1..n in order for a joined node to agree (checked by the joiner).
 */
export function channelValuesOfConfig(channel: ChannelConfig): ChannelConfigInput {
  return {
    channelId: channel.channelId,
    sequence: 0,
    consensusType: 'etcdraft',
    organizations: channel.organizations.map((org) => ({
      mspId: org.mspId,
      sections: ['orderer', 'application'],
      rootCerts: org.rootCerts,
      intermediateCerts: org.intermediateCerts,
      adminCerts: org.adminCerts,
      tlsRootCerts: org.tlsRootCerts,
      tlsIntermediateCerts: [],
      ...(org.ordererEndpoints.length > 0 && { ordererEndpoints: org.ordererEndpoints }),
    })),
    batchSize: channel.batchSize,
    batchTimeoutMs: channel.batchTimeoutMs,
    consenters: channel.consenters.map((c) => ({ host: c.host, port: c.port, clientTlsCertPem: c.clientTlsCertPem, serverTlsCertPem: c.serverTlsCertPem })),
    raftOptions: {
      tickIntervalMs: channel.raft.tickIntervalMs,
      electionTick: channel.raft.electionTick,
      heartbeatTick: channel.raft.heartbeatTick,
      maxInflightBlocks: channel.raft.maxInflightBlocks,
      snapshotIntervalSizeBytes: channel.raft.snapshotIntervalSizeBytes,
    },
    hashAlgorithm: channel.hashAlgorithm,
    ordererAddresses: [],
    capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] },
    hasApplicationGroup: true,
  };
}
