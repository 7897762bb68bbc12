import { assert } from './assert.js';
import type { Inflights } from './inflights.js';

/** How the leader replicates to one follower. */
export enum ProgressState {
  /** Unsure where the follower's log ends: one MsgApp per heartbeat until it answers. */
  Probe = 0,
  /** Streaming: send optimistically, bounded by the inflights window. */
  Replicate = 1,
  /** Waiting for a snapshot to be applied; no MsgApp. */
  Snapshot = 2,
}

export function progressStateName(s: ProgressState): string {
  return ['StateProbe', 'StateReplicate', 'StateSnapshot'][s]!;
}

/**
 * The leader's view of one follower.
 * Invariant: 0 <= match < next.
 */
export class Progress {
  /** Highest index known to be in the follower's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** Highest commit index sent to the follower (so it learns commits promptly). */
  sentCommit = 0;
  state = ProgressState.Probe;
  /** In Snapshot state: index of the snapshot in flight. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Probe: a MsgApp is outstanding. Replicate: the inflights window is full. */
  msgAppFlowPaused = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: number, inflights: Inflights, isLearner: boolean, recentActive: boolean) {
    this.next = next;
    this.inflights = inflights;
    this.isLearner = isLearner;
    this.recentActive = recentActive;
  }

  #resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // The follower may already have the snapshot: resume after it.
      const pending = this.pendingSnapshot;
      this.#resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.#resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.assertInvariants();
  }

  becomeReplicate(): void {
    this.#resetState(ProgressState.Replicate);
    this.next = this.match + 1;
    this.assertInvariants();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.#resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
    this.sentCommit = snapshotIndex;
    this.assertInvariants();
  }

  /** A MsgApp with `entries` entries (`bytes` of data) was just sent. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case ProgressState.Replicate:
        if (entries > 0) {
          this.next += entries;
          this.inflights.add(this.next - 1, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case ProgressState.Probe:
        if (entries > 0) this.msgAppFlowPaused = true;
        break;
      default:
        assert(false, `sending append in unhandled state ${progressStateName(this.state)}`);
    }
    this.assertInvariants();
  }

  /** Whether a message should go out just to tell the follower the commit index. */
  canBumpCommit(index: number): boolean {
    return index > this.sentCommit && this.sentCommit < this.next - 1;
  }

  sentCommitTo(commit: number): void {
    this.sentCommit = commit;
  }

  /** The follower acknowledged up to `n`; false if that is old news. */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    this.assertInvariants();
    return true;
  }

  /**
   * The follower rejected a MsgApp at index `rejected`, hinting that its log
   * matches up to `matchHint` at best. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    this.assertInvariants();
    return true;
  }

  isPaused(): boolean {
    return this.state === ProgressState.Snapshot ? true : this.msgAppFlowPaused;
  }

  assertInvariants(): void {
    assert(this.match >= 0 && this.match < this.next, () => `progress: need 0 <= match(${this.match}) < next(${this.next})`);
    assert(this.state === ProgressState.Snapshot || this.pendingSnapshot === 0, 'pendingSnapshot set outside StateSnapshot');
    assert(this.state === ProgressState.Replicate || this.inflights.count() === 0, 'inflights outside StateReplicate');
  }

  /** etcd's format, e.g. "StateReplicate match=3 next=4 inflight=1". */
  toString(): string {
    let s = `${progressStateName(this.state)} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.count();
    if (n > 0) {
      s += ` inflight=${n}`;
      if (this.inflights.full()) s += '[full]';
    }
    return s;
  }

  clone(): Progress {
    const c = new Progress(this.next, this.inflights.clone(), this.isLearner, this.recentActive);
    c.match = this.match;
    c.sentCommit = this.sentCommit;
    c.state = this.state;
    c.pendingSnapshot = this.pendingSnapshot;
    c.msgAppFlowPaused = this.msgAppFlowPaused;
    return c;
  }
}
