// The one place config files meet the other layers: a filled NodeConfig
// (src/config) becomes OrdererNodeOptions (storage, pool, cluster, chains,
// servers each take their own plain options type).

import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { encodeSerializedIdentity } from '../block/index.js';
import type { ChannelConfig, NodeConfig } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import { loadLocalMsp } from '../crypto/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import { SIGNING_IN_FLIGHT_MAX } from '../chain/index.js';
import { VERIFY_BATCHER_DEFAULTS } from '../chain/index.js';
import { QUEUE_TASKS_PER_THREAD_DEFAULT } from '../workers/index.js';
import { genesisBlockOfChannel } from './genesis.js';
import type { ChannelPlan } from './channelPlan.js';
import type { OrdererNodeOptions } from './ordererNode.js';

/**
 * Pool tasks one channel may have queued at once: its block signatures in
 * flight, its verification batches in flight, and a data hash on the leader.
 * An overloaded pool refuses a block signature and that halts the channel, so
 * the pool's queue must hold every channel's worst case (the pool's default,
 * 64 per thread, does not once there are a few channels on a small machine).
 */
export const POOL_TASKS_PER_CHANNEL_MAX = SIGNING_IN_FLIGHT_MAX + VERIFY_BATCHER_DEFAULTS.tasksInFlightMax + 1;

/**
 * Channels the pool's queue is sized for at least: channels joined at run time
 * (participation API) are not known when the pool starts.
 */
export const JOINED_CHANNELS_PLANNED = 16;

/**
 * Nice increment of the pool's workers: there is one per core (config
 * defaultPoolSize), so they share a core with the main thread, which keeps
 * Raft's clock and the I/O; at a lower priority they take only what it leaves.
 */
export const POOL_WORKER_NICE = 10;

/** The pool's queue bound for `channels` channels (at least the pool's own default). */
export function poolQueueTasksMax(channels: number, poolThreads: number): number {
  return Math.max(QUEUE_TASKS_PER_THREAD_DEFAULT * poolThreads, channels * POOL_TASKS_PER_CHANNEL_MAX);
}

export function nodeOptionsFromConfig(config: NodeConfig, logger: Logger): OrdererNodeOptions {
  const msp = loadLocalMsp(config.msp.dir, { mspId: config.msp.mspId, provider: createCryptoProvider(config.engine) });
  return {
    nodeId: config.id,
    engine: config.engine,
    dataDir: config.dataDir,
    logger,
    identity: {
      signer: msp.signer,
      serializedIdentity: encodeSerializedIdentity({ mspid: msp.mspId, idBytes: new TextEncoder().encode(msp.certPem) }),
    },
    clientListenAddress: config.listen.client,
    clientTls: config.tls.clientListenerEnabled
      ? {
          certPem: config.tls.certPem,
          keyPem: config.tls.keyPem,
          clientRootCasPem: config.tls.clientRootCaPems,
          requireClientCert: config.tls.clientAuthRequired,
        }
      : undefined,
    deliverTimeWindowMs: config.authenticationTimeWindowMs,
    broadcastAck: config.broadcastAck,
    broadcastAckTimeoutMs: config.broadcastAckTimeoutMs,
    txIdHorizon: config.txIdHorizon,
    operationsListenAddress: config.listen.operations,
    operationsTls: config.tls.operationsEnabled
      ? {
          certPem: config.tls.certPem,
          keyPem: config.tls.keyPem,
          clientRootCasPem: config.tls.clientRootCaPems,
          requireClientCert: config.tls.operationsClientAuthRequired,
        }
      : undefined,
    clusterListenAddress: config.listen.cluster,
    clusterTls: { certPem: config.tls.certPem, keyPem: config.tls.keyPem, caPems: config.tls.rootCaPems },
    pool: {
      maxThreads: config.poolSize,
      queueTasksMax: poolQueueTasksMax(Math.max(config.channels.length, JOINED_CHANNELS_PLANNED), config.poolSize),
      workerNiceIncrement: POOL_WORKER_NICE,
    },
    channels: config.channels.map((channel, i) => channelPlan(channel, `channels[${i}]`)),
  };
}

export function channelPlan(channel: ChannelConfig, at: string): ChannelPlan {
  return {
    chain: {
      channelId: channel.channelId,
      consenters: channel.consenters.map((c) => c.id),
      tickIntervalMs: channel.raft.tickIntervalMs,
      electionTick: channel.raft.electionTick,
      ...(channel.raft.electionJitterTicks !== undefined && { electionJitterTicks: channel.raft.electionJitterTicks }),
      heartbeatTick: channel.raft.heartbeatTick,
      maxInflightBlocks: channel.raft.maxInflightBlocks,
      snapshotIntervalSizeBytes: channel.raft.snapshotIntervalSizeBytes,
      // A node setting in Fabric (orderer.yaml), not in the block: only a channel file carries it.
      evictionSuspicionMs: channel.raft.evictionSuspicionMs,
      leaderLossDetection: channel.raft.leaderLossDetection,
      leaderLossGraceMs: channel.raft.leaderLossGraceMs,
      batchSize: channel.batchSize,
      batchTimeoutMs: channel.batchTimeoutMs,
      hashAlgorithm: channel.hashAlgorithm,
      signatureAlgorithm: channel.signatureAlgorithm,
      organizations: channel.organizations,
      genesisBlock: genesisBlockOfChannel(channel),
    },
    consenters: channel.consenters.map((c, j) => {
      // The cluster pins ONE key per consenter, checked in both directions (Fabric pins both certificates).
      if (!samePublicKey(c.clientTlsCertPem, c.serverTlsCertPem)) {
        const field = `${at}.consenters[${j}].serverTlsCert`;
        throw new ConfigError(field, `${field} must certify the same key as clientTlsCert (consenter ${c.id}): the cluster pins one TLS key per consenter`);
      }
      return { id: c.id, address: `${c.host}:${c.port}`, tlsCertPem: c.clientTlsCertPem };
    }),
  };
}

function samePublicKey(a: string, b: string): boolean {
  if (a === b) return true;
  const key = (pem: string): Buffer => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return key(a).equals(key(b));
}
