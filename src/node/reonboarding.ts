// Re-onboarding a channel that removed this node and added it back (same TLS
// certificate) while the node was away. Fabric numbers a re-added consenter
// anew (next_consenter_id), so the node must run the channel under that new
// Raft id: its Raft state (log, hard state, voters of the old id) is dropped,
// its blocks are kept, the new id is recorded with the config block that gave
// it (the channel's storage, Raft state side), and the chain starts again at
// once as a joining node — voters from the re-adding config block, the
// ledger's block 0 as genesis — catching up from the leader (entries, or a
// snapshot and the block puller from the kept ledger's end). The node keeps
// its own id on its other channels (the cluster transport answers to both).
//
// Why the record (src/chain/CHAIN.md, "Re-onboarding and a restart"): the
// chain votes under the new id before its ledger holds the re-adding config
// block, so the ledger cannot say which id a restart runs the channel as;
// the record can, and a re-onboarding drops Raft state only when the record
// names another id than the one it is given.

import { decodeBlock, encodeBlock, type Block } from '../block/index.js';
import type { ReaddedVerdict } from '../chain/index.js';
import { standingIn } from '../chain/index.js';
import { OrdererError } from '../errors.js';
import type { BlockLedger, ChannelStorage, RaftIdRecord, WalEnvironment } from '../storage/index.js';
import { joinPlanOfBlock } from './joinPlan.js';
import type { ChannelPlan } from './channelPlan.js';

export interface NodeIdentity {
  /** The node's own Raft id (its id on channels that did not renumber it). */
  readonly nodeId: number;
  /** Its cluster TLS certificate: how a config block names it. */
  readonly tlsCertPem: string;
}

/**
 * The plan of a channel run under a recorded Raft id: consenters and values
 * of the config block that gave the id, `genesis` (block 0 of the kept
 * ledger) as genesis. Node-side settings are the caller's (withNodeSettingsOf).
 */
export function recordedPlan(record: RaftIdRecord, genesis: Uint8Array | undefined, tlsCertPem: string): ChannelPlan {
  const number = decodeBlock(record.configBlock).header.number;
  return joinPlanOfBlock(record.configBlock, { nodeId: record.raftId, tlsCertPem }, number === 0 ? undefined : genesis).plan;
}

/** `plan` with the node-side settings of `previous` (not in any block: eviction suspicion, leader-loss detection, election jitter). */
export function withNodeSettingsOf(previous: ChannelPlan, plan: ChannelPlan): ChannelPlan {
  const { evictionSuspicionMs, leaderLossDetection, leaderLossGraceMs, electionJitterTicks } = previous.chain;
  return {
    ...plan,
    chain: {
      ...plan.chain,
      ...(evictionSuspicionMs !== undefined && { evictionSuspicionMs }),
      ...(leaderLossDetection !== undefined && { leaderLossDetection }),
      ...(leaderLossGraceMs !== undefined && { leaderLossGraceMs }),
      ...(electionJitterTicks !== undefined && { electionJitterTicks }),
    },
  };
}

/**
 * The re-onboarding's storage step, the chain closed: unless the channel's
 * Raft id is recorded as `verdict.newId` already (its Raft state is that id's:
 * it may hold votes cast under it, never dropped), drops the Raft state
 * keeping the blocks, then records the new id with the re-adding config block.
 * Resolves once that is durable, before any chain runs under the id. A crash
 * between the drop and the record leaves no record and no Raft state: the
 * restart runs the channel as the id its ledger gives, hears no leader and
 * re-onboards again; the new id cast no vote yet.
 */
export async function takeRaftId(
  env: WalEnvironment,
  channelId: string,
  verdict: ReaddedVerdict,
): Promise<{ readonly dropped: boolean; readonly kept: number }> {
  const open = env.channel(channelId);
  if (open.raft.raftId?.raftId === verdict.newId) return { dropped: false, kept: open.ledger.height };
  await env.releaseChannel(channelId);
  await env.dropChannel(channelId, { keepLedger: true });
  const storage = env.channel(channelId);
  await storage.raft.recordRaftId({ raftId: verdict.newId, configBlock: encodeBlock(verdict.config) });
  return { dropped: true, kept: storage.ledger.height };
}

/** The Raft id this node runs a stored channel as: the recorded one (re-onboarding) first, else what its ledger gives (storedRaftId). */
export function channelRaftId(storage: ChannelStorage, self: NodeIdentity): number {
  return storage.raft.raftId?.raftId ?? storedRaftId(storage.ledger, self);
}

/**
 * The config block of the channel's Raft id record while the ledger has not
 * reached it (the chain then starts from that block's consenters), else
 * undefined: no record, or the ledger's own config is as new or newer.
 */
export function recordAheadOfLedger(storage: ChannelStorage): Block | undefined {
  const record = storage.raft.raftId;
  if (record === undefined) return undefined;
  const config = decodeBlock(record.configBlock);
  return config.header.number > storage.ledger.lastConfig ? config : undefined;
}

/**
 * The Raft id its ledger gives this node on a stored channel: the one its
 * latest config block gives this node's certificate — another than the
 * node's id once the channel re-onboarded it — else the node's id (not listed,
 * or no readable config: eviction suspicion or the chain's start says why).
 */
export function storedRaftId(ledger: BlockLedger, self: NodeIdentity): number {
  if (ledger.height === 0) return self.nodeId;
  const number = Math.max(ledger.lastConfig, 0);
  let standing;
  try {
    standing = standingIn(decodeBlock(ledger.block(number).bytes), { id: self.nodeId, tlsCertPem: self.tlsCertPem });
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    return self.nodeId;
  }
  return standing.kind === 'readded' ? standing.newId : self.nodeId;
}
