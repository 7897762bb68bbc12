// Re-onboarding a channel that removed this node and added it back (same TLS
// certificate) while the node was away. Fabric numbers a re-added consenter
// anew (next_consenter_id), so the node must run the channel under that new
// Raft id: its Raft state (log, hard state, voters of the old id) is dropped,
// its blocks are kept, and the chain starts again as a joining node — voters
// from the re-adding config block, the ledger's block 0 as genesis — catching
// up from the leader (entries, or a snapshot and the block puller). The node
// keeps its own id on its other channels (the cluster transport answers to both).

import { decodeBlock, encodeBlock } from '../block/index.js';
import type { SnapshotCatchUp } from '../catchup/index.js';
import type { ReaddedVerdict } from '../chain/index.js';
import { standingIn } from '../chain/index.js';
import { OrdererError } from '../errors.js';
import type { BlockLedger, WalEnvironment } from '../storage/index.js';
import { joinPlanOfBlock } from './joinPlan.js';
import type { ChannelPlan } from './channelPlan.js';

export interface NodeIdentity {
  /** The node's own Raft id (its id on channels that did not renumber it). */
  readonly nodeId: number;
  /** Its cluster TLS certificate: how a config block names it. */
  readonly tlsCertPem: string;
}

/**
 * The plan to start the channel again under the re-adding config's id:
 * consenters and values of that config block, block 0 of the kept ledger as
 * genesis; node-side settings of the plan it ran with (eviction suspicion) kept.
 */
export function reonboardingPlan(verdict: ReaddedVerdict, genesis: Uint8Array, self: NodeIdentity, previous: ChannelPlan): ChannelPlan {
  const config = encodeBlock(verdict.config);
  const { plan } = joinPlanOfBlock(config, { nodeId: verdict.newId, tlsCertPem: self.tlsCertPem }, verdict.config.header.number === 0 ? undefined : genesis);
  return withNodeSettingsOf(previous, plan);
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
 * Drops the channel's Raft state and keeps its blocks; resolves with the
 * number of blocks kept once that is durable. The chain must be closed.
 */
export async function dropRaftStateKeepingBlocks(storage: WalEnvironment, channelId: string): Promise<number> {
  await storage.releaseChannel(channelId);
  await storage.dropChannel(channelId, { keepLedger: true });
  return storage.channel(channelId).ledger.height;
}

/**
 * Pulls the blocks the kept ledger lacks up to the re-adding config block
 * (verified by the block puller: hash chain from the local tip, orderer
 * signatures, the config block's own header hash at the end), so the chain
 * starts under the config that lists this node under its new id. Rejects
 * when the puller is closed (the node stops).
 */
export async function pullThroughConfigBlock(puller: SnapshotCatchUp, ledger: BlockLedger, verdict: ReaddedVerdict): Promise<void> {
  if (ledger.height > verdict.configBlock) return;
  await puller.pullBlocks(ledger.height, verdict.config);
}

/**
 * The Raft id this node runs a stored channel as: the one its latest config
 * block (in the ledger) gives this node's certificate — another than the
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
