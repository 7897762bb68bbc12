// A channel to join from its config block (participation API, restart of a
// joined channel): the block's config (configtx's extractChannelConfig) as a
// ChannelPlan. The block is the genesis block, or a later config block (a
// consenter added by a config update) together with the genesis block: the
// chain starts its empty ledger from block 0 with the later block's consenters
// as Raft voters, and catches up from the leader. This node must be one of the block's consenters, found by its
// cluster TLS certificate as Fabric does, under the node's own Raft id (a
// channel that numbers it otherwise runs it under that id only through
// re-onboarding: reonboarding.ts).

import { X509Certificate } from 'node:crypto';
import { consenterIdsOf, decodeBlock, extractChannelConfig, organizationConfigsOf, type Block, type ChannelConfigValues } from '../block/index.js';
import type { ClusterPeer } from '../cluster/index.js';
import { CHAIN_DEFAULTS } from '../chain/index.js';
import { OrdererError } from '../errors.js';
import type { ChannelPlan } from './channelPlan.js';

/** A config block this node cannot serve as given (the participation API answers 400 naming the reason). */
export class UnservableChannelError extends OrdererError {
  constructor(message: string) {
    super('CHANNEL_NOT_SERVABLE', message);
  }
}

export interface JoinPlan {
  readonly values: ChannelConfigValues;
  readonly plan: ChannelPlan;
}

/**
 * `genesisBytes` is required when `blockBytes` is a config block after block 0.
 * Throws BAD_BLOCK / ChannelConfigError for a malformed block, UnservableChannelError for one this node cannot serve.
 */
export function joinPlanOfBlock(blockBytes: Uint8Array, self: { readonly nodeId: number; readonly tlsCertPem: string }, genesisBytes?: Uint8Array): JoinPlan {
  const block = decodeBlock(blockBytes);
  const number = Number(block.header.number);
  const values = extractChannelConfig(block);
  if (number !== 0) checkGenesisOf(values.channelId, number, genesisBytes);
  if (values.consensusType !== 'etcdraft' || values.raftOptions === undefined) {
    throw new UnservableChannelError(`channel "${values.channelId}" uses consensus "${values.consensusType}"; this orderer serves etcdraft channels`);
  }
  const ids = consenterIdsOf(block, values.consenters).consenterIds;
  const selfKey = publicKeyOf(self.tlsCertPem);
  const selfIndex = values.consenters.findIndex((c) => publicKeyOf(c.clientTlsCertPem).equals(selfKey));
  if (selfIndex < 0) {
    throw new UnservableChannelError(
      `this node's TLS certificate is not among the ${values.consenters.length} consenters of channel "${values.channelId}" (followers are not supported)`,
    );
  }
  if (ids[selfIndex] !== self.nodeId) {
    throw new UnservableChannelError(
      `channel "${values.channelId}" gives this node Raft id ${ids[selfIndex]}, but the node runs as id ${self.nodeId} on every channel (consenters are numbered 1..n in config order)`,
    );
  }
  const raft = values.raftOptions;
  return {
    values,
    plan: {
      chain: {
        channelId: values.channelId,
        consenters: [...ids],
        // A later config block's consenters: the ledger reaches that block only by catching up.
        ...(number > 0 && { consentersBlock: number }),
        tickIntervalMs: raft.tickIntervalMs,
        electionTick: raft.electionTick,
        heartbeatTick: raft.heartbeatTick,
        maxInflightBlocks: raft.maxInflightBlocks,
        snapshotIntervalSizeBytes: raft.snapshotIntervalSizeBytes,
        // A node setting (Fabric's orderer.yaml), not in the block: the default, as a channel file without it gives.
        evictionSuspicionMs: CHAIN_DEFAULTS.evictionSuspicionMs,
        leaderLossDetection: CHAIN_DEFAULTS.leaderLossDetection,
        leaderLossGraceMs: CHAIN_DEFAULTS.leaderLossGraceMs,
        batchSize: values.batchSize,
        batchTimeoutMs: values.batchTimeoutMs,
        hashAlgorithm: values.hashAlgorithm,
        signatureAlgorithm: values.signatureAlgorithm,
        organizations: organizationConfigsOf(values),
        genesisBlock: number === 0 ? blockBytes : genesisBytes!,
      },
      consenters: peersOf(values, ids),
    },
  };
}

/** The consenters of a config block as cluster peers: the Raft id its etcdraft metadata gives each, its endpoint and TLS certificate. */
export function consenterPeersOf(block: Block): ClusterPeer[] {
  const values = extractChannelConfig(block);
  return peersOf(values, consenterIdsOf(block, values.consenters).consenterIds);
}

function peersOf(values: ChannelConfigValues, ids: readonly number[]): ClusterPeer[] {
  return values.consenters.map((c, i) => ({ id: ids[i]!, address: `${c.host}:${c.port}`, tlsCertPem: c.clientTlsCertPem }));
}

function checkGenesisOf(channelId: string, configNumber: number, genesisBytes: Uint8Array | undefined): void {
  if (genesisBytes === undefined) {
    throw new UnservableChannelError(
      `channel "${channelId}": config block ${configNumber} is after block 0; join with the channel's genesis block too (part "genesis-block", --genesis-block)`,
    );
  }
  const genesis = decodeBlock(genesisBytes, { code: 'BAD_BLOCK', path: 'genesis-block' });
  if (Number(genesis.header.number) !== 0)
    throw new UnservableChannelError(`the genesis block given with channel "${channelId}" is block ${genesis.header.number}, not block 0`);
  const genesisChannel = extractChannelConfig(genesis).channelId;
  if (genesisChannel !== channelId)
    throw new UnservableChannelError(`the genesis block given is of channel "${genesisChannel}", the config block of channel "${channelId}"`);
}

function publicKeyOf(pem: string): Buffer {
  return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
}
