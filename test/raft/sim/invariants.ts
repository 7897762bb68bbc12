// The safety properties of Raft (Ongaro's thesis, figure 3.2), checked against
// everything the simulated nodes report, plus a few cheaper local properties
// that catch the same bugs earlier. The checker keeps global history (over all
// time, across crashes), which is why a few properties are stated "ever".
//
// The checker reads nodes' logs only through `LogView` (a subset of Storage),
// so tests can feed it hand-made histories.

import { EntryType, type Entry, type HardState } from '../../../src/raft/types.js';
import { StorageError } from '../../../src/raft/storage.js';
import { entryKey, latin1, type AppState } from './app-state.js';

export type InvariantName =
  | 'election-safety' // at most one leader per term, ever
  | 'log-matching' // same (index, term) => same entry and same preceding term
  | 'leader-completeness' // an entry committed in term T is in the log of every leader of a term > T
  | 'state-machine-safety' // no two nodes apply different entries at the same index
  | 'committed-agreement' // no two nodes consider different entries committed at the same index
  | 'hard-state' // term and commit never go back; a vote is never changed within a term
  | 'apply-order' // entries applied once each, in index order, and only once committed
  | 'snapshot-consistency' // a snapshot's state equals what the nodes applied up to its index
  | 'integrity' // every applied client payload was proposed by the client
  | 'ready-contract' // Ready.mustSync is true iff there are entries or a new term or vote to persist
  | 'liveness'; // after faults heal, a leader is elected and a proposal commits in bounded ticks

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: InvariantName,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/** The part of a node's persisted log the checker reads. `Storage` satisfies it. */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  /** Term at `i` for firstIndex() - 1 <= i <= lastIndex(); throws a StorageError outside. */
  term(i: number): number;
}

/** The term at `i` in `log`, or undefined when `i` is compacted or beyond the end. */
function termAt(log: LogView, i: number): number | undefined {
  if (i < log.firstIndex() - 1 || i > log.lastIndex()) return undefined;
  try {
    return log.term(i);
  } catch (err) {
    if (err instanceof StorageError) return undefined;
    throw err;
  }
}

interface EntryRecord {
  readonly key: string;
  readonly prevTerm: number;
}

interface NodeRecord {
  hardState: HardState;
  /** The highest commit index this node reported. */
  commitSeen: number;
  /** The node's log while it is a leader (of `leaderTerm`), else undefined. */
  leaderLog: LogView | undefined;
  leaderTerm: number;
}

export class SafetyChecker {
  readonly #leaderOfTerm = new Map<number, number>();
  /** log-matching: `${index}/${term}` -> the one entry any node ever had there. */
  readonly #entries = new Map<string, EntryRecord>();
  /** Committed entries: index -> term. Dense from 1 up to #committedMax, 0 where unknown (compacted everywhere seen). */
  readonly #committedTerm: number[] = [0];
  /** index -> the lowest node term at which the entry was seen committed (an upper bound on the term that committed it). */
  readonly #committedByTerm: number[] = [0];
  /** state-machine-safety: index -> key of the entry applied there, and the app checksum after it. */
  readonly #appliedKey = new Map<number, string>();
  readonly #appliedChecksum = new Map<number, number>();
  readonly #proposals = new Set<string>();
  readonly #nodes = new Map<number, NodeRecord>();

  /** How many terms had a leader. */
  get leaderTerms(): number {
    return this.#leaderOfTerm.size;
  }

  get committedMax(): number {
    return this.#committedTerm.length - 1;
  }

  #node(id: number): NodeRecord {
    let n = this.#nodes.get(id);
    if (n === undefined) {
      n = { hardState: { term: 0, vote: 0, commit: 0 }, commitSeen: 0, leaderLog: undefined, leaderTerm: 0 };
      this.#nodes.set(id, n);
    }
    return n;
  }

  /** A payload the client proposed; applied client payloads must be among these. */
  observeProposal(payload: Uint8Array): void {
    this.#proposals.add(latin1(payload));
  }

  /** A node persisted a hard state (also at restart, with what it read back). */
  observeHardState(id: number, hs: HardState): void {
    const n = this.#node(id);
    const prev = n.hardState;
    if (hs.term < prev.term) throw new InvariantViolation('hard-state', `node ${id} term went back from ${prev.term} to ${hs.term}`);
    if (hs.term === prev.term && prev.vote !== 0 && hs.vote !== prev.vote) {
      throw new InvariantViolation('hard-state', `node ${id} changed its vote in term ${hs.term} from ${prev.vote} to ${hs.vote}`);
    }
    if (hs.commit < prev.commit) throw new InvariantViolation('hard-state', `node ${id} commit went back from ${prev.commit} to ${hs.commit}`);
    n.hardState = hs;
  }

  /** A node is (still or newly) leader of `term`, with `log` fully persisted. */
  observeLeader(id: number, term: number, log: LogView): void {
    const other = this.#leaderOfTerm.get(term);
    if (other !== undefined && other !== id) {
      throw new InvariantViolation('election-safety', `nodes ${other} and ${id} were both leader of term ${term}`);
    }
    this.#leaderOfTerm.set(term, id);
    const n = this.#node(id);
    if (n.leaderLog === log && n.leaderTerm === term) return;
    n.leaderLog = log;
    n.leaderTerm = term;
    this.#checkLeaderHasCommitted(id, term, log, 1, this.committedMax);
  }

  /** A node stopped being leader (stepped down or crashed). */
  observeNotLeader(id: number): void {
    const n = this.#node(id);
    n.leaderLog = undefined;
    n.leaderTerm = 0;
  }

  /** Entries just appended to `log`, the node's persisted log. */
  observeAppend(id: number, entries: readonly Entry[], log: LogView): void {
    let prevTerm = entries.length > 0 ? termAt(log, (entries[0] as Entry).index - 1) : undefined;
    for (const e of entries) {
      if (termAt(log, e.index) !== e.term) {
        // Appended below the snapshot point: the storage ignored it. Nothing to register.
        prevTerm = undefined;
        continue;
      }
      if (prevTerm !== undefined && prevTerm > e.term) {
        throw new InvariantViolation('log-matching', `node ${id} log has term ${e.term} at ${e.index} after term ${prevTerm}`);
      }
      const id2 = `${e.index}/${e.term}`;
      const key = entryKey(e);
      const seen = this.#entries.get(id2);
      if (seen === undefined) {
        if (prevTerm !== undefined) this.#entries.set(id2, { key, prevTerm });
      } else if (seen.key !== key || (prevTerm !== undefined && seen.prevTerm !== prevTerm)) {
        throw new InvariantViolation(
          'log-matching',
          `node ${id} has entry ${key} after term ${prevTerm} at index ${e.index}, ` + `another log had ${seen.key} after term ${seen.prevTerm} there`,
        );
      }
      prevTerm = e.term;
    }
  }

  /** A node considers everything up to `commit` committed; `nodeTerm` is its current term. */
  observeCommit(id: number, commit: number, nodeTerm: number, log: LogView): void {
    const n = this.#node(id);
    // Invariant: n.commitSeen <= this.committedMax, so the loop extends the record contiguously.
    const from = n.commitSeen + 1;
    for (let i = from; i <= commit; i++) {
      const t = termAt(log, i);
      if (i > this.committedMax) {
        this.#committedTerm.push(t ?? 0);
        this.#committedByTerm.push(nodeTerm);
        continue;
      }
      const known = this.#committedTerm[i] as number;
      if (t !== undefined && known !== 0 && known !== t) {
        throw new InvariantViolation('committed-agreement', `node ${id} committed term ${t} at index ${i}, another node committed term ${known}`);
      }
      if (known === 0 && t !== undefined) this.#committedTerm[i] = t;
      if (nodeTerm < (this.#committedByTerm[i] as number)) this.#committedByTerm[i] = nodeTerm;
    }
    n.commitSeen = Math.max(n.commitSeen, commit);
    for (const [leaderId, leader] of this.#nodes) {
      if (leader.leaderLog !== undefined) this.#checkLeaderHasCommitted(leaderId, leader.leaderTerm, leader.leaderLog, from, commit);
    }
  }

  #checkLeaderHasCommitted(id: number, leaderTerm: number, log: LogView, lo: number, hi: number): void {
    const start = Math.max(lo, log.firstIndex() - 1, 1);
    for (let i = start; i <= hi; i++) {
      const committedTerm = this.#committedTerm[i] as number;
      if (committedTerm === 0 || (this.#committedByTerm[i] as number) >= leaderTerm) continue;
      const t = termAt(log, i);
      if (t !== committedTerm) {
        throw new InvariantViolation(
          'leader-completeness',
          `leader ${id} of term ${leaderTerm} has ${t === undefined ? 'no entry' : `term ${t}`} at index ${i}, ` +
            `where term ${committedTerm} was committed by term ${this.#committedByTerm[i]}`,
        );
      }
    }
  }

  /** A node applied `e` to its state machine, reaching `after`; `commit` is its commit index. */
  observeApply(id: number, e: Entry, after: AppState, commit: number): void {
    if (e.index > commit) throw new InvariantViolation('apply-order', `node ${id} applied entry ${e.index} beyond its commit index ${commit}`);
    const key = entryKey(e);
    const seen = this.#appliedKey.get(e.index);
    if (seen === undefined) {
      this.#appliedKey.set(e.index, key);
    } else if (seen !== key) {
      throw new InvariantViolation('state-machine-safety', `node ${id} applied ${key} at index ${e.index}, another node applied ${seen}`);
    }
    this.#checkChecksum(id, after, 'applied');
    if (e.data.byteLength > 0 && e.type === EntryType.Normal && !this.#proposals.has(latin1(e.data))) {
      throw new InvariantViolation('integrity', `node ${id} applied payload ${JSON.stringify(latin1(e.data))} that no client proposed`);
    }
  }

  /** A node replaced its state machine with a snapshot's, taken at `snapshotIndex`. */
  observeSnapshotRestore(id: number, state: AppState, snapshotIndex: number): void {
    if (state.appliedIndex !== snapshotIndex) {
      throw new InvariantViolation('snapshot-consistency', `node ${id} restored a snapshot at index ${snapshotIndex} whose state is at ${state.appliedIndex}`);
    }
    this.#checkChecksum(id, state, 'restored');
  }

  #checkChecksum(id: number, state: AppState, how: string): void {
    const seen = this.#appliedChecksum.get(state.appliedIndex);
    if (seen === undefined) this.#appliedChecksum.set(state.appliedIndex, state.checksum);
    else if (seen !== state.checksum) {
      throw new InvariantViolation(
        how === 'restored' ? 'snapshot-consistency' : 'state-machine-safety',
        `node ${id} ${how} a state with checksum ${state.checksum} at index ${state.appliedIndex}, another node had ${seen}`,
      );
    }
  }
}
