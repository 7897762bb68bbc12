// What keeps one chain live across failures, beside the Raft core: the
// lost-log guard (lostLog.ts) on every inbound Raft message, eviction
// suspicion on ticks (evictionSuspicion.ts), the bounded leadership handoff of
// a graceful shutdown (shutdown.ts), and the early campaign when the stream to
// a leader closes (leaderLoss.ts). chain.ts builds it
// (livenessWiring.ts) and calls into it from the transport binding's inbound
// messages, its tick and its leader changes.

import type { Logger } from 'pino';
import { MessageType, StateType, type Message, type RawNode } from '../../raft/index.js';
import type { ChainClock } from '../../clock.js';
import { EvictionSuspector, type EvictedVerdict, type MemberVerdict, type ReaddedVerdict } from './evictionSuspicion.js';
import type { ConfigBlockSource } from './latestConfigBlock.js';
import { LeaderLossWatch, type LeaderLossCause, type LeaderLossOptions } from './leaderLoss.js';
import { guardHeartbeat, lostLogOf } from './lostLog.js';
import { LeadershipHandoff, mostCaughtUpFollower, type HandoffOutcome } from './shutdown.js';

export interface LivenessHost {
  readonly channelId: string;
  readonly selfId: number;
  readonly electionTick: number;
  readonly log: Logger;
  readonly clock: ChainClock;
  raft(): RawNode;
  /** Last index of the durable Raft log (a follower's match never exceeds it unless the log was lost). */
  lastIndex(): number;
  /** Runs the Ready loop (after stepping or transferring). */
  kick(): void;
  sendConsensus(message: Message): void;
  isReachable(peer: number): boolean;
  /** Dials `peer` at once (ClusterTransport.probe); a no-op where the transport cannot. */
  probe(peer: number): void;
  /** Uniform floats in [0, 1). */
  readonly random: () => number;
  countEarlyCampaign(cause: LeaderLossCause): void;
  /** Index and term of the last entry of the durable Raft log. */
  lastLog(): { readonly index: number; readonly term: number };
  /** Accepted envelopes not yet proposed or held for the next leader (the handoff waits for them). */
  pendingEnvelopes(): number;
  /** Term of the last entry applied here: once above this node's leader term, its unconfirmed proposals were settled (committed or ordered again). */
  appliedTerm(): number;
  /** The node is no longer a consenter (or is one under another Raft id): stop serving the channel. */
  evicted(reason: string): void;
}

/** The node's side of eviction suspicion (ChainDeps.eviction). */
export interface EvictionDeps {
  /** This node's cluster TLS certificate: how a config block names it among the consenters. */
  readonly selfTlsCertPem: string;
  /**
   * Told once, after the chain stopped serving, when the latest config block
   * removed this node (evicted) or lists it under another Raft id (readded:
   * the node re-onboards the channel under that id).
   */
  onVerdict(verdict: EvictedVerdict | ReaddedVerdict): void;
  /**
   * Told on every check (while no leader is known) that finds this node a
   * consenter under its own Raft id, with that verified config block: the
   * node may have to accept streams of consenters it lists that the chain's
   * own config does not know yet.
   */
  onMember?(verdict: MemberVerdict): void;
}

export interface LivenessOptions {
  readonly evictionSuspicionMs: number;
  /** The first eviction check's wait without a leader when none was known since the chain started (EvictionSuspectorOptions). */
  readonly firstEvictionCheckAfterMs?: number;
  /** Number of the latest config block in the chain's ledger (-1: none). */
  readonly localConfigBlock?: () => number;
  /** True when the chain's ledger holds only the block it started from: the first leaderless tick checks membership at once. */
  readonly startsEmpty?: () => boolean;
  /**
   * Undefined: no eviction suspicion (no other orderer to ask). Without
   * blockAt only a newest block that is itself the config block can be judged.
   */
  readonly membershipProbe: (Omit<ConfigBlockSource, 'blockAt'> & Partial<Pick<ConfigBlockSource, 'blockAt'>>) | undefined;
  /** Undefined: the node is looked up by Raft id alone and nobody outside the chain is told. */
  readonly eviction?: EvictionDeps | undefined;
  readonly leaderLoss: LeaderLossOptions;
}

export class Liveness {
  readonly #suspector: EvictionSuspector | undefined;
  #handoff: LeadershipHandoff | undefined;
  readonly #leaderLoss: LeaderLossWatch;

  constructor(
    private readonly host: LivenessHost,
    options: LivenessOptions,
  ) {
    this.#leaderLoss = new LeaderLossWatch(host, options.leaderLoss);
    this.#suspector =
      options.membershipProbe === undefined
        ? undefined
        : new EvictionSuspector({
            selfId: host.selfId,
            evictionSuspicionMs: options.evictionSuspicionMs,
            ...(options.firstEvictionCheckAfterMs !== undefined && { firstCheckAfterMs: options.firstEvictionCheckAfterMs }),
            ...(options.localConfigBlock !== undefined && { localConfigBlock: options.localConfigBlock }),
            ...(options.startsEmpty !== undefined && { startsEmpty: options.startsEmpty }),
            source: configBlockSourceOf(options.membershipProbe),
            logger: host.log,
            ...(options.eviction !== undefined && { selfTlsCertPem: options.eviction.selfTlsCertPem }),
            onEvicted: (reason, verdict) => {
              host.evicted(reason);
              options.eviction?.onVerdict(verdict);
            },
            onReadded: (reason, verdict) => {
              host.evicted(`re-added under another Raft id: ${reason}`);
              options.eviction?.onVerdict(verdict);
            },
            onMember: (verdict) => options.eviction?.onMember?.(verdict),
          });
  }

  /** Eviction checks made so far (tests). */
  get evictionChecks(): number {
    return this.#suspector?.checks ?? 0;
  }

  /** The Raft message to step for `m` from a peer (a guarded heartbeat, or `m` itself). Cheap unless `m` is a rejection or a heartbeat past the log. */
  inbound(m: Message): Message {
    this.#leaderLoss.observe(m);
    if (m.type === MessageType.MsgAppResp) {
      if (m.reject) this.#checkLostLog(m);
      return m;
    }
    if (m.type !== MessageType.MsgHeartbeat) return m;
    const lastIndex = this.host.lastIndex();
    if (m.commit <= lastIndex) return m;
    const { step, reply } = guardHeartbeat(m, lastIndex, this.host.raft().status().hardState.commit);
    if (reply !== undefined) {
      this.host.log.warn(
        { leader: m.from, leaderCommit: m.commit, lastIndex },
        `the leader says index ${m.commit} is committed but this node's Raft log ends at ${lastIndex}: the log was lost (data directory wiped?); asking the leader to start over`,
      );
      this.host.sendConsensus(reply);
    }
    return step;
  }

  onTick(leaderKnown: boolean): void {
    this.#suspector?.onTick(this.host.clock.now(), leaderKnown);
    this.#handoff?.onTick();
  }

  onLeader(lead: number): void {
    this.#handoff?.onLeader(lead);
    this.#leaderLoss.onLeader(lead);
  }

  /** The transport reports the stream to `peer` broken, or a dial to it failed. */
  onPeerLost(peer: number): void {
    this.#leaderLoss.onPeerLost(peer);
  }

  /** `peer` refused this node's stream as a consenter it does not know under this id: membership is checked at the next tick without a leader. */
  onPeerRefused(peer: number, reason: string): void {
    this.#suspector?.peerRefused(peer, reason);
  }

  /** The chain stops: no early campaign after this. */
  close(): void {
    this.#leaderLoss.close();
  }

  /**
   * On a leader: transfers leadership to the most caught-up reachable
   * follower and waits (at most 2 election timeouts of ticks) until another
   * node leads and took the envelopes held for it. Resolves at once elsewhere.
   */
  async handOverLeadership(): Promise<HandoffOutcome | 'not-leader' | 'no-follower'> {
    const raft = this.host.raft();
    const status = raft.status();
    if (status.softState.raftState !== StateType.Leader) return 'not-leader';
    const to = mostCaughtUpFollower(status, this.host.selfId, (id) => this.host.isReachable(id));
    if (to === undefined) {
      this.host.log.warn('closing as leader with no reachable follower to hand leadership to');
      return 'no-follower';
    }
    const leaderTerm = status.hardState.term;
    const settled = (): boolean => this.host.pendingEnvelopes() === 0 && this.host.appliedTerm() > leaderTerm;
    // Pointless to wait on: the transferee is gone (e.g. the whole cluster is shutting down), or Raft
    // gave the transfer up (still leading, no transferee) — stopping now costs the others one election.
    const abandoned = (): boolean => {
      if (!this.host.isReachable(to)) return true;
      const now = raft.status();
      return now.softState.raftState === StateType.Leader && now.leadTransferee === 0;
    };
    const handoff = new LeadershipHandoff(this.host.selfId, 2 * this.host.electionTick, settled, abandoned);
    this.#handoff = handoff;
    this.host.log.info({ to }, `shutting down: transferring leadership to node ${to}`);
    raft.transferLeadership(to);
    this.host.kick();
    const outcome = await handoff.done;
    this.#handoff = undefined;
    if (outcome === 'transferred') this.host.log.info({ leader: handoff.newLeader }, `leadership handed over to node ${handoff.newLeader}`);
    else if (outcome === 'abandoned')
      this.host.log.warn({ to }, `leadership transfer to node ${to} abandoned (unreachable, or Raft gave it up); stopping anyway`);
    else this.host.log.warn({ to }, `leadership transfer to node ${to} did not complete within ${2 * this.host.electionTick} ticks; stopping anyway`);
    return outcome;
  }

  #checkLostLog(m: Message): void {
    const raft = this.host.raft();
    const status = raft.status();
    if (status.softState.raftState !== StateType.Leader) return;
    const lost = lostLogOf(m, status);
    if (lost === undefined) return;
    this.host.log.warn(
      lost,
      `node ${lost.follower} lost its Raft log (it acknowledged index ${lost.match}, its log ends at ${lost.lastIndex}); replicating it from scratch (entries from index 1, or a snapshot then block catch-up)`,
    );
    // Its match index forgotten, it is probed from the start: once it answers, match is at most what its log holds, so
    // this runs once per lost log. The rejection itself is then stale for Raft (it answers an append sent before).
    raft.restartFollowerLog(lost.follower);
    this.host.kick();
  }
}

function configBlockSourceOf(probe: NonNullable<LivenessOptions['membershipProbe']>): ConfigBlockSource {
  const { blockAt } = probe;
  return {
    newestBlock: () => probe.newestBlock(),
    blockAt: blockAt === undefined ? async () => undefined : (number) => blockAt.call(probe, number),
  };
}
