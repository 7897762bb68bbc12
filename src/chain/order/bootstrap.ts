// Start-up of a channel's storage: the genesis block into an empty ledger, and
// on a fresh Raft log (no hard state, no entries, no membership) the
// consenters recorded as the initial voters — etcd's StartNode(peers), done as
// a membership record so a restart finds it. Decides whether this node is the
// first campaigner (firstCampaigner.ts), and builds the RawNode.

import type { Logger } from 'pino';
import { isEmptyHardState, RawNode, type RaftLogger } from '../../raft/index.js';
import type { Hasher } from '../../crypto/index.js';
import type { ChannelStorage, DurableRaftStorage } from '../../storage/index.js';
import { ledgerBlockFromFabric } from '../../storage/index.js';
import { ChainOptionsError } from '../errors.js';
import { firstCampaigner } from './firstCampaigner.js';
import type { ResolvedChainOptions } from '../options.js';

export interface BootstrapOutcome {
  /** The Raft log was empty: the consenters became the initial voters. */
  readonly fresh: boolean;
  /** Fresh, and this node is the one that campaigns at once. */
  readonly campaign: boolean;
}

export async function bootstrapFreshChannel(opts: ResolvedChainOptions, storage: ChannelStorage, hasher: Hasher, log: Logger): Promise<BootstrapOutcome> {
  if (storage.ledger.height === 0) await writeGenesis(opts, storage, hasher, log);
  const { hardState, confState } = storage.raft.initialState();
  const fresh = isEmptyHardState(hardState) && storage.raft.lastIndex() === 0 && confState.voters.length === 0;
  if (!fresh) return { fresh, campaign: false };
  storage.raft.setConfState({ voters: [...opts.consenters], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
  await storage.raft.whenDurable();
  const campaigner = firstCampaigner(hasher, opts.channelId, opts.consenters);
  log.info({ consenters: opts.consenters, firstCampaigner: campaigner }, 'new channel: consenters are the initial Raft voters');
  return { fresh, campaign: campaigner === opts.selfId };
}

async function writeGenesis(opts: ResolvedChainOptions, storage: ChannelStorage, hasher: Hasher, log: Logger): Promise<void> {
  if (opts.genesisBlock === undefined) {
    throw new ChainOptionsError(`options.genesisBlock is required: the ledger of channel "${opts.channelId}" is empty`);
  }
  const genesis = ledgerBlockFromFabric(opts.genesisBlock, hasher, 0);
  if (genesis.number !== 0) throw new ChainOptionsError(`options.genesisBlock must be block 0, got block ${genesis.number}`);
  await storage.ledger.append(genesis);
  log.info({ txIds: genesis.txIds.length }, 'genesis block written');
}

/** The channel's RawNode, configured as Fabric's etcdraft: PreVote and CheckQuorum on, proposals only on the leader. */
export function createRawNode(opts: ResolvedChainOptions, storage: DurableRaftStorage, applied: number, logger: RaftLogger, random: () => number): RawNode {
  return new RawNode({
    id: opts.selfId,
    electionTick: opts.electionTick,
    electionJitterTicks: opts.electionJitterTicks,
    heartbeatTick: opts.heartbeatTick,
    storage,
    applied,
    maxSizePerMsg: opts.maxSizePerMsgBytes,
    maxInflightMsgs: 256,
    checkQuorum: true,
    preVote: true,
    disableProposalForwarding: true,
    random,
    logger,
  });
}
