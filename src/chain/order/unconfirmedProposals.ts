// The blocks this node proposed whose fate Raft has not shown yet. Kept
// across step-downs (an old proposal may still commit, or lose) so that the
// envelopes of a proposal that can no longer commit are ordered again instead
// of lost (Fabric loses them). A proposal is known to be lost when
// - another block is committed at its number (and so are all later ones of
//   ours, chained on it), or
// - an entry of a later term is applied while it is still unconfirmed: a
//   later-term entry commits after every earlier-term entry that will ever
//   commit, and ours are matched by number as they are applied.

import type { Logger } from 'pino';
import type { HeaderFields } from '../../block/index.js';

/** An envelope accepted for ordering (verified, sized). */
export interface OrderedEnvelope {
  readonly bytes: Uint8Array;
  /** Fabric's size: len(payload) + len(signature). */
  readonly sizeBytes: number;
  /** The channel header's tx id ('' or absent: never a duplicate, e.g. CONFIG envelopes). */
  readonly txId?: string;
  /** A CONFIG envelope (validated by the leader): cut alone into its own block. */
  readonly isConfig?: boolean;
}

interface Proposal {
  readonly term: number;
  readonly dataHash: Uint8Array;
  readonly envelopes: readonly OrderedEnvelope[];
}

export class UnconfirmedProposals {
  /** By block number, in insertion order. Invariant: size <= max (the oldest are forgotten, loudly). */
  readonly #byNumber = new Map<number, Proposal>();

  constructor(
    private readonly max: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.#byNumber.size;
  }

  remember(number: number, term: number, dataHash: Uint8Array, envelopes: readonly OrderedEnvelope[]): void {
    // A re-elected leader may propose a number again after its earlier proposal lost: the new one replaces it.
    this.#byNumber.delete(number);
    this.#byNumber.set(number, { term, dataHash, envelopes });
    for (const [oldest, proposal] of this.#byNumber) {
      if (this.#byNumber.size <= this.max) break;
      this.#byNumber.delete(oldest);
      this.logger.warn({ block: oldest, envelopes: proposal.envelopes.length }, `forgot proposed block ${oldest}: more than ${this.max} proposals unconfirmed`);
    }
  }

  /** Block `header` was applied: returns the envelopes of our proposals it proves lost. */
  onBlockCommitted(header: HeaderFields): OrderedEnvelope[] {
    const number = header.number;
    const mine = this.#byNumber.get(number);
    const lost = mine !== undefined && !bytesEqual(mine.dataHash, header.dataHash);
    let orphans: OrderedEnvelope[] = [];
    for (const [n, proposal] of this.#byNumber) {
      if (lost && n >= number) {
        orphans = orphans.concat(proposal.envelopes);
        this.#byNumber.delete(n);
      } else if (n <= number) {
        this.#byNumber.delete(n);
      }
    }
    return orphans;
  }

  /** Entries up to one of `term` were applied (call after onBlockCommitted for them): returns the envelopes of earlier-term proposals. */
  onTermApplied(term: number): OrderedEnvelope[] {
    let orphans: OrderedEnvelope[] = [];
    for (const [n, proposal] of this.#byNumber) {
      if (proposal.term >= term) continue;
      orphans = orphans.concat(proposal.envelopes);
      this.#byNumber.delete(n);
    }
    return orphans;
  }

  /**
   * A snapshot up to block `last` replaced the log: proposals below it were
   * decided without this node applying them; their fate is unknown here and
   * ordering them again could order them twice, so they are forgotten. The
   * one at `last` is judged by its data hash.
   */
  onSnapshotInstalled(last: HeaderFields): OrderedEnvelope[] {
    let unknown = 0;
    for (const [n, proposal] of this.#byNumber) {
      if (n >= last.number) continue;
      unknown += proposal.envelopes.length;
      this.#byNumber.delete(n);
    }
    if (unknown > 0)
      this.logger.warn(
        { block: last.number, envelopes: unknown },
        `snapshot at block ${last.number}: ${unknown} envelopes of own earlier proposals may or may not be ordered`,
      );
    return this.onBlockCommitted(last);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
