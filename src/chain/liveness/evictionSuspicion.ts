// Eviction suspicion (Fabric's etcdraft eviction.go): a node that has known
// no Raft leader for `evictionSuspicionMs` asks the other orderers for the
// channel's latest config block (their newest block, then the block its
// LAST_CONFIG names; latestConfigBlock.ts, verified by the block puller) and
// looks itself up there by its TLS certificate (consenterStanding.ts):
// - not a consenter: it was removed while it could not hear about it; it
//   stops serving the channel, naming the config block (onEvicted);
// - a consenter under another Raft id: removed and added again while offline
//   (the re-added certificate got a new id); the node re-onboards under the new
//   id (onReadded: the node drops the chain's Raft state and starts it again);
// - a consenter under its own id: nothing is forced; it keeps voting and
//   catches up through Raft (a snapshot, then the block puller) once it
//   reaches a leader. The config block goes to onMember: it may list
//   consenters this node's own config does not know yet (a node wiped and
//   restarted from block 0 after a consenter was re-added under a new id), and
//   the node may have to accept their streams to hear the leader at all.
//   Checked again every period.
// The first check after the chain starts comes sooner, after
// `firstCheckAfterMs` (an election timeout) without a leader, if no leader was
// known since: a restarted consenter hears its leader's heartbeats within a
// heartbeat or two of its links coming up, while one that was removed and
// added back under a new Raft id while it was down hears nobody, ever (the
// leader addresses the new id). Waiting the whole suspicion period (Fabric's
// 10 minutes) there only keeps the channel one node short; the check itself
// is one read of two blocks from the other orderers.
// A peer that refuses this node's stream as a consenter it does not know
// under this id (peerRefused: the transport's onRefused) brings a check
// forward to the next tick without a leader, at most once per suspicion
// period: the node may have been removed, or re-added under a new id, while
// away, and the check is cheap beside waiting out an election timeout (after
// a restart) or the whole period (a node that once knew a leader). Such a
// check leaves the schedule above as it is: a refusal that meant nothing (a
// peer whose channels had not started yet) delays no check.
// A chain whose ledger holds only the block it started from (`startsEmpty`:
// a node wiped and restarted from its genesis or join block, or a cluster's
// first start) checks at its first tick without a leader, once: such a node
// cannot know of any config change made since, and a node removed and re-added
// under a new id while it was wiped would otherwise wait out the first check's
// election timeout before it even asks. Like a refusal's, that check leaves
// the schedule above as it is (at a cluster's first start the others may not
// answer yet; the check after firstCheckAfterMs still comes).
// A config block older than this node's own latest config block
// (`localConfigBlock`) is no verdict: the orderers that answered are behind
// this node (e.g. still replaying their logs after a restart of the whole
// cluster), and their older config may list this node under an id it left or
// not at all.

import type { Logger } from 'pino';
import type { Block } from '../../block/index.js';
import { OrdererError } from '../../errors.js';
import { standingIn } from './consenterStanding.js';
import { fetchLatestConfigBlock, type ConfigBlockSource } from './latestConfigBlock.js';

interface Seen {
  /** Number of the latest config block the other orderers serve. */
  readonly configBlock: number;
  /** Their newest block, whose LAST_CONFIG named it. */
  readonly newestBlock: number;
  /** Raft ids of that config's consenters, in config order. */
  readonly consenters: readonly number[];
}

export type EvictedVerdict = Seen & { readonly kind: 'evicted' };
export type ReaddedVerdict = Seen & { readonly kind: 'readded'; readonly newId: number; readonly config: Block };

export type MemberVerdict = Seen & { readonly kind: 'member'; readonly config: Block };

export type EvictionVerdict = MemberVerdict | EvictedVerdict | ReaddedVerdict | { readonly kind: 'unknown'; readonly reason: string };

export interface EvictionSuspectorOptions {
  /** The Raft id this node runs the channel as. */
  readonly selfId: number;
  /** This node's cluster TLS certificate; absent: looked up by Raft id only (no re-added verdict). */
  readonly selfTlsCertPem?: string;
  readonly evictionSuspicionMs: number;
  /** The first check's wait without a leader while none was known since start (default, and at most, evictionSuspicionMs). */
  readonly firstCheckAfterMs?: number;
  /** Number of the latest config block in this node's own ledger (-1: none): an older one read from the others decides nothing. */
  readonly localConfigBlock?: () => number;
  /** Read at the first tick without a leader: true when the ledger holds only the block the chain started from (see the file comment). */
  readonly startsEmpty?: () => boolean;
  readonly source: ConfigBlockSource;
  readonly logger: Logger;
  /** Called once when the node turns out to be removed; `reason` names the config block. Checks stop. */
  readonly onEvicted: (reason: string, verdict: EvictedVerdict) => void;
  /** Called once when the node turns out to be a consenter under another Raft id. Checks stop. */
  readonly onReadded: (reason: string, verdict: ReaddedVerdict) => void;
  /** Called on every check that finds this node a consenter under its own id, with the verified config block. */
  readonly onMember?: (verdict: MemberVerdict) => void;
}

/** Why the check at a chain's first leaderless tick comes (startsEmpty); its 'unknown' is expected at a cluster's first start: logged at info. */
const START_CAUSE = "this node's ledger holds only the block its chain started from";

export class EvictionSuspector {
  /** Clock time since which no leader is known; undefined while one is. */
  #leaderlessSinceMs: number | undefined;
  /** Invariant: at most one check in flight. */
  #checking = false;
  /** True once a leader was known or a check was made: the suspicion period applies from then on. */
  #pastStart = false;
  /** What a peer refused since the last tick, while no leader is known: a check comes at the next tick (see the file comment). */
  #refusal: string | undefined;
  /** Clock time of the last check a refusal brought forward; undefined if none. */
  #refusalCheckAtMs: number | undefined;
  /** True until the first tick without a leader has looked at startsEmpty. */
  #startCheckDue = true;
  /** Set once by an evicted or re-added verdict; no check after it. */
  #decided: EvictedVerdict | ReaddedVerdict | undefined;
  /** Checks done (tests, metrics). */
  checks = 0;

  constructor(private readonly opts: EvictionSuspectorOptions) {}

  get evicted(): boolean {
    return this.#decided?.kind === 'evicted';
  }

  /** The evicted or re-added verdict that ended the checks, if any. */
  get decided(): EvictedVerdict | ReaddedVerdict | undefined {
    return this.#decided;
  }

  /** A peer refused this node's stream as a consenter it does not know under this id (`reason` as it gave it). */
  peerRefused(peer: number, reason: string): void {
    if (this.#decided !== undefined) return;
    this.#refusal = `consenter ${peer} refused this node's stream: ${reason}`;
  }

  /** Called on every tick with the clock's time and whether a leader is known. */
  onTick(nowMs: number, leaderKnown: boolean): void {
    if (leaderKnown || this.#decided !== undefined) {
      this.#leaderlessSinceMs = undefined;
      this.#refusal = undefined;
      if (leaderKnown) this.#pastStart = true;
      return;
    }
    this.#leaderlessSinceMs ??= nowMs;
    if (this.#startCheckDue && !this.#checking) {
      this.#startCheckDue = false;
      if (!this.#pastStart && this.opts.startsEmpty?.() === true) {
        this.#checkInBackground(0, START_CAUSE);
        return;
      }
    }
    const refusal = this.#refusal;
    if (refusal !== undefined && !this.#checking) {
      this.#refusal = undefined;
      if (this.#refusalCheckAtMs === undefined || nowMs - this.#refusalCheckAtMs >= this.opts.evictionSuspicionMs) {
        this.#refusalCheckAtMs = nowMs;
        this.opts.logger.info(`${refusal}: checking this node's membership of the channel now`);
        this.#checkInBackground(nowMs - this.#leaderlessSinceMs, refusal);
        return;
      }
    }
    const waitMs = this.#pastStart ? this.opts.evictionSuspicionMs : Math.min(this.opts.firstCheckAfterMs ?? Infinity, this.opts.evictionSuspicionMs);
    const leaderlessMs = nowMs - this.#leaderlessSinceMs;
    if (this.#checking || leaderlessMs < waitMs) return;
    // The next check comes one suspicion period after this one, not on every tick.
    this.#leaderlessSinceMs = nowMs;
    this.#pastStart = true;
    this.#checkInBackground(leaderlessMs);
  }

  /** One check from a tick, not awaited; #checking holds off the next until it ends. */
  #checkInBackground(leaderlessMs: number, cause?: string): void {
    this.#checking = true;
    void this.check(leaderlessMs, cause).finally(() => (this.#checking = false));
  }

  /**
   * Asks the other orderers; acts on an eviction or a re-addition. Never
   * rejects with an OrdererError. `leaderlessMs`: how long no leader was
   * known (the log says; default the suspicion period); `cause`: what
   * brought the check forward, if anything (the log says).
   */
  async check(leaderlessMs = this.opts.evictionSuspicionMs, cause?: string): Promise<EvictionVerdict> {
    this.checks++;
    const { logger, selfId } = this.opts;
    const verdict = await this.#verdict();
    if (this.#decided !== undefined) return verdict;
    const leaderless = `no Raft leader for ${Math.round(leaderlessMs)} ms${cause === undefined ? '' : ` (${cause})`}`;
    if (verdict.kind === 'unknown') {
      (cause === START_CAUSE ? logger.info.bind(logger) : logger.warn.bind(logger))(
        { reason: verdict.reason },
        `${leaderless} and the latest config block could not be read from the other orderers: ${verdict.reason}`,
      );
      return verdict;
    }
    const where = `config block ${verdict.configBlock} (the last config of the other orderers' newest block ${verdict.newestBlock}) lists consenters ${verdict.consenters.join(', ')}`;
    if (verdict.kind === 'member') {
      logger.info(
        { configBlock: verdict.configBlock, consenters: verdict.consenters },
        `${leaderless}; ${where}, this node (${selfId}) among them: waiting to rejoin`,
      );
      this.opts.onMember?.(verdict);
    } else if (verdict.kind === 'evicted') {
      this.#decided = verdict;
      this.opts.onEvicted(`this node (${selfId}) is no longer a consenter: ${where}`, verdict);
    } else {
      this.#decided = verdict;
      this.opts.onReadded(
        `this node's TLS certificate is consenter ${verdict.newId}, not ${selfId}: ${where} (removed and added again while this node was away)`,
        verdict,
      );
    }
    return verdict;
  }

  async #verdict(): Promise<EvictionVerdict> {
    const latest = await fetchLatestConfigBlock(this.opts.source);
    if (latest.kind === 'unknown') return latest;
    const seen = { configBlock: latest.config.header.number, newestBlock: latest.newest };
    const own = this.opts.localConfigBlock?.() ?? -1;
    if (seen.configBlock < own) {
      return {
        kind: 'unknown',
        reason: `the other orderers' latest config block ${seen.configBlock} (of their newest block ${seen.newestBlock}) is older than this node's own config block ${own}: they are behind`,
      };
    }
    let standing;
    try {
      standing = standingIn(latest.config, { id: this.opts.selfId, ...(this.opts.selfTlsCertPem !== undefined && { tlsCertPem: this.opts.selfTlsCertPem }) });
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      return { kind: 'unknown', reason: `config block ${seen.configBlock}: ${err.message}` };
    }
    if (standing.kind === 'readded') return { ...seen, kind: 'readded', newId: standing.newId, consenters: standing.consenters, config: latest.config };
    if (standing.kind === 'member') return { ...seen, kind: 'member', consenters: standing.consenters, config: latest.config };
    return { ...seen, kind: 'evicted', consenters: standing.consenters };
  }
}
