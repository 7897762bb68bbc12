// How one chain builds its Liveness (liveness.ts): the host view over the
// chain's Raft node, Raft storage and cluster transport, and the membership
// probe eviction suspicion asks — the catch-up source's newestBlock (and
// blockAt when it has one); without newestBlock there is no suspicion.

import type { Logger } from 'pino';
import type { ClusterTransport } from '../../cluster/index.js';
import type { Message, RawNode } from '../../raft/index.js';
import type { ChannelStorage } from '../../storage/index.js';
import type { SnapshotCatchUp } from '../../catchup/index.js';
import type { ChainClock } from '../../clock.js';
import type { ChainMetrics } from '../metrics.js';
import { Liveness, type EvictionDeps, type LivenessOptions } from './liveness.js';
import type { ResolvedChainOptions } from '../options.js';

/** The chain's parts Liveness reaches; getters for what changes or is built later. */
export interface LivenessParts {
  readonly opts: ResolvedChainOptions;
  readonly storage: ChannelStorage;
  readonly transport: ClusterTransport;
  readonly catchUp: SnapshotCatchUp | undefined;
  readonly eviction: EvictionDeps | undefined;
  readonly log: Logger;
  readonly clock: ChainClock;
  readonly random: () => number;
  readonly metrics: ChainMetrics;
  raft(): RawNode;
  kick(): void;
  /** Accepted envelopes not yet proposed or held for the next leader. */
  pendingEnvelopes(): number;
  /** Term of the last entry applied here. */
  appliedTerm(): number;
  /** Stop serving the channel, telling submitters `reason`. */
  evicted(reason: string): void;
}

export function openLiveness(parts: LivenessParts): Liveness {
  const { opts, storage, transport } = parts;
  const channelId = opts.channelId;
  const host = {
    channelId,
    selfId: opts.selfId,
    electionTick: opts.electionTick,
    log: parts.log,
    clock: parts.clock,
    raft: parts.raft,
    lastIndex: () => storage.raft.lastIndex(),
    kick: parts.kick,
    sendConsensus: (m: Message) => transport.sendConsensus(channelId, m.to, m),
    isReachable: (peer: number) => transport.isReachable(peer),
    probe: (peer: number) => transport.probe?.(peer),
    random: parts.random,
    countEarlyCampaign: (cause: string) => parts.metrics.countEarlyCampaign(cause),
    lastLog: () => {
      const index = storage.raft.lastIndex();
      return { index, term: storage.raft.term(index) };
    },
    pendingEnvelopes: parts.pendingEnvelopes,
    appliedTerm: parts.appliedTerm,
    evicted: parts.evicted,
  };
  return new Liveness(host, {
    evictionSuspicionMs: opts.evictionSuspicionMs,
    // A restarted consenter that hears no leader within an election timeout (the moment Raft itself would campaign)
    // checks its membership at once: it may have been removed, or re-added under a new Raft id, while it was down.
    firstEvictionCheckAfterMs: opts.electionTick * opts.tickIntervalMs,
    localConfigBlock: () => storage.ledger.lastConfig,
    // A wiped node restarted from its genesis or join block knows no config change since: it asks at once.
    startsEmpty: () => storage.ledger.height <= 1,
    membershipProbe: membershipProbeOf(parts.catchUp),
    eviction: parts.eviction,
    // Half an election timeout between two survivors' turns: far above a PreVote's delay, even with the
    // 150 ms event-loop lags of a saturated machine; if the first cannot win, the next one still starts
    // before the election timeout would have.
    leaderLoss: { enabled: opts.leaderLossDetection, graceMs: opts.leaderLossGraceMs, slotMs: (opts.electionTick * opts.tickIntervalMs) / 2 },
  });
}

function membershipProbeOf(catchUp: SnapshotCatchUp | undefined): LivenessOptions['membershipProbe'] {
  if (catchUp?.newestBlock === undefined) return undefined;
  return { newestBlock: () => catchUp.newestBlock!(), ...(catchUp.blockAt && { blockAt: (n: number) => catchUp.blockAt!(n) }) };
}
