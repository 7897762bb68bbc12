// The filled config types carry the other layers' option names and shapes, so
// src/cli maps them field for field. This test breaks (at type-check or at
// run time) if a name drifts on either side; it also shows the mapping.

import { describe, expect, it } from 'vitest';
import type { ChainOptions } from '../../src/chain/index.js';
import type { ClusterPeer } from '../../src/cluster/types.js';
import { fillChannelConfig, fillNodeConfig, type ChannelConfig, type NodeConfig } from '../../src/config/index.js';
import type { AtomicBroadcastServerOptionsInput, OperationsServerOptionsInput } from '../../src/server/index.js';
import { CA_PEM, makeConfigDir, minimalChannel, minimalNode } from './fixtures.js';

function chainOptions(node: NodeConfig, channel: ChannelConfig): ChainOptions {
  return {
    channelId: channel.channelId,
    selfId: node.id,
    consenters: channel.consenters.map((c) => c.id),
    ...channel.raft,
    batchSize: channel.batchSize,
    batchTimeoutMs: channel.batchTimeoutMs,
    hashAlgorithm: channel.hashAlgorithm,
    signatureAlgorithm: channel.signatureAlgorithm,
    engine: node.engine,
    organizations: channel.organizations,
  };
}

function clusterPeers(channel: ChannelConfig): ClusterPeer[] {
  return channel.consenters.map((c) => ({ id: c.id, address: `${c.host}:${c.port}`, tlsCertPem: c.clientTlsCertPem }));
}

function serverOptions(node: NodeConfig): AtomicBroadcastServerOptionsInput {
  const tls = node.tls;
  return {
    listenAddress: node.listen.client,
    deliverTimeWindowMs: node.authenticationTimeWindowMs,
    ...(tls.clientListenerEnabled && {
      tls: { certPem: tls.certPem, keyPem: tls.keyPem, clientRootCasPem: tls.clientRootCaPems, requireClientCert: tls.clientAuthRequired },
    }),
  };
}

function operationsOptions(node: NodeConfig): OperationsServerOptionsInput {
  const tls = node.tls;
  return {
    listenAddress: node.listen.operations,
    ...(tls.operationsEnabled && {
      tls: { certPem: tls.certPem, keyPem: tls.keyPem, clientRootCasPem: tls.clientRootCaPems, requireClientCert: tls.operationsClientAuthRequired },
    }),
  };
}

describe('filled config onto the layers’ options', () => {
  const { dir, cleanup } = makeConfigDir();

  it('maps field for field', () => {
    try {
      const node = fillNodeConfig(
        minimalNode({ channels: [minimalChannel({ raft: { tickInterval: '100ms', maxInflightBlocks: 3 } })] }),
        dir,
        undefined,
        () => undefined,
      );
      const channel = node.channels[0]!;
      const chain = chainOptions(node, channel);
      // The spread of channel.raft must carry exactly ChainOptions' raft names.
      expect(chain).toMatchObject({
        tickIntervalMs: 100,
        electionTick: 10,
        heartbeatTick: 1,
        maxInflightBlocks: 3,
        snapshotIntervalSizeBytes: 20 * 1024 * 1024,
      });
      expect(clusterPeers(channel)).toEqual([{ id: 1, address: '127.0.0.1:7051', tlsCertPem: channel.consenters[0]!.clientTlsCertPem }]);
      expect(serverOptions(node).tls?.certPem).toBe(node.tls.certPem);
      expect(operationsOptions(node)).toEqual({ listenAddress: '127.0.0.1:8443' });
      expect(fillChannelConfig(minimalChannel(), '', dir).organizations[0]!.rootCerts).toEqual([CA_PEM]);
    } finally {
      cleanup();
    }
  });
});
