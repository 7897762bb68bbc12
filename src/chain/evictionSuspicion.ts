// Eviction suspicion (Fabric's etcdraft eviction.go): a node that has known
// no Raft leader for `evictionSuspicionMs` asks the other orderers for their
// newest block. If the consenter ids that block records (its etcdraft
// metadata: the membership the writers applied, as configtx consenterIdsOf
// reads it) no longer include this node, it was removed while it could not
// hear about it: it stops serving the channel, saying why. If it still is a
// consenter, nothing is forced: it keeps voting and catches up through Raft
// (a snapshot, then the block puller) once it reaches a leader.

import type { Logger } from 'pino';
import { readBlockSignatures, type Block } from '../block/index.js';
import { OrdererError } from '../errors.js';

/** Where the newest block of the channel can be read from (the block puller does this). */
export interface NewestBlockSource {
  /** The highest block the other orderers serve, or undefined when none answered. */
  newestBlock(): Promise<Block | undefined>;
}

export type EvictionVerdict =
  | { readonly kind: 'evicted'; readonly block: number; readonly consenters: readonly number[] }
  | { readonly kind: 'member'; readonly block: number; readonly consenters: readonly number[] }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface EvictionSuspectorOptions {
  readonly selfId: number;
  readonly evictionSuspicionMs: number;
  readonly source: NewestBlockSource;
  readonly logger: Logger;
  /** Called once when the node turns out to be evicted. */
  readonly onEvicted: (reason: string) => void;
}

/** Reads the membership a block records; undefined when it carries no etcdraft metadata. */
export function consentersRecordedIn(block: Block): readonly number[] | undefined {
  return readBlockSignatures(block).etcdraft?.consenterIds;
}

export class EvictionSuspector {
  /** Clock time since which no leader is known; undefined while one is. */
  #leaderlessSinceMs: number | undefined;
  /** Invariant: at most one check in flight. */
  #checking = false;
  #evicted = false;
  /** Checks done (tests, metrics). */
  checks = 0;

  constructor(private readonly opts: EvictionSuspectorOptions) {}

  get evicted(): boolean {
    return this.#evicted;
  }

  /** Called on every tick with the clock's time and whether a leader is known. */
  onTick(nowMs: number, leaderKnown: boolean): void {
    if (leaderKnown || this.#evicted) {
      this.#leaderlessSinceMs = undefined;
      return;
    }
    this.#leaderlessSinceMs ??= nowMs;
    if (this.#checking || nowMs - this.#leaderlessSinceMs < this.opts.evictionSuspicionMs) return;
    // The next check comes one suspicion period after this one, not on every tick.
    this.#leaderlessSinceMs = nowMs;
    this.#checking = true;
    void this.check().finally(() => (this.#checking = false));
  }

  /** Asks the other orderers; acts on an eviction. Never rejects. */
  async check(): Promise<EvictionVerdict> {
    this.checks++;
    const { logger, selfId } = this.opts;
    const verdict = await this.#verdict();
    if (verdict.kind === 'unknown') {
      logger.warn({ reason: verdict.reason }, `no Raft leader for ${this.opts.evictionSuspicionMs} ms and the membership could not be read: ${verdict.reason}`);
    } else if (verdict.kind === 'member') {
      logger.info({ block: verdict.block, consenters: verdict.consenters }, `no Raft leader for ${this.opts.evictionSuspicionMs} ms; block ${verdict.block} still lists this node (${selfId}) as a consenter: waiting to rejoin`);
    } else if (!this.#evicted) {
      this.#evicted = true;
      this.opts.onEvicted(`this node (${selfId}) is no longer a consenter: block ${verdict.block} of the other orderers lists consenters ${verdict.consenters.join(', ')}`);
    }
    return verdict;
  }

  async #verdict(): Promise<EvictionVerdict> {
    let newest: Block | undefined;
    try {
      newest = await this.opts.source.newestBlock();
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      return { kind: 'unknown', reason: err.message };
    }
    if (newest === undefined) return { kind: 'unknown', reason: 'no other orderer answered' };
    let consenters;
    try {
      consenters = consentersRecordedIn(newest);
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      return { kind: 'unknown', reason: `block ${newest.header.number}: ${err.message}` };
    }
    if (consenters === undefined) return { kind: 'unknown', reason: `block ${newest.header.number} records no consenters` };
    const block = newest.header.number;
    return consenters.includes(this.opts.selfId) ? { kind: 'member', block, consenters } : { kind: 'evicted', block, consenters };
  }
}
