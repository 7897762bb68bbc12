// The checker must be able to fail: each test feeds it a hand-made history that
// breaks exactly one invariant, and a legal near-miss that must pass.

import { describe, expect, it } from 'vitest';
import { applyEntry, asciiBytes, emptyAppState, type AppState } from './app-state.js';
import { InvariantViolation, SafetyChecker, type InvariantName } from './invariants.js';
import { ArrayLog, entry } from './test-logs.js';

function expectViolation(invariant: InvariantName, fn: () => void): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvariantViolation);
  expect((caught as InvariantViolation).invariant).toBe(invariant);
}

function appliedState(...entries: ReturnType<typeof entry>[]): AppState {
  return entries.reduce(applyEntry, emptyAppState);
}

describe('election safety', () => {
  it('fails when two nodes lead the same term', () => {
    const c = new SafetyChecker();
    c.observeLeader(1, 5, new ArrayLog([]));
    expectViolation('election-safety', () => c.observeLeader(2, 5, new ArrayLog([])));
  });

  it('allows one leader per term, and the same leader seen twice', () => {
    const c = new SafetyChecker();
    const log = new ArrayLog([]);
    c.observeLeader(1, 5, log);
    c.observeLeader(1, 5, log);
    c.observeLeader(2, 6, log);
    expect(c.leaderTerms).toBe(2);
  });
});

describe('log matching', () => {
  it('fails when two logs hold different entries at the same index and term', () => {
    const c = new SafetyChecker();
    const a = new ArrayLog([entry(1, 1, 'x'), entry(2, 1, 'a')]);
    const b = new ArrayLog([entry(1, 1, 'x'), entry(2, 1, 'b')]);
    c.observeAppend(1, a.entries, a);
    expectViolation('log-matching', () => c.observeAppend(2, b.entries, b));
  });

  it('fails when the same (index, term) follows a different term', () => {
    const c = new SafetyChecker();
    const a = new ArrayLog([entry(1, 1), entry(2, 3, 'z')]);
    const b = new ArrayLog([entry(1, 2), entry(2, 3, 'z')]);
    c.observeAppend(1, a.entries, a);
    expectViolation('log-matching', () => c.observeAppend(2, b.entries, b));
  });

  it('fails when terms go down along one log', () => {
    const c = new SafetyChecker();
    const a = new ArrayLog([entry(1, 2), entry(2, 1)]);
    expectViolation('log-matching', () => c.observeAppend(1, a.entries, a));
  });

  it('allows a suffix overwritten by a later term', () => {
    const c = new SafetyChecker();
    const old = new ArrayLog([entry(1, 1, 'x'), entry(2, 1, 'lost')]);
    const rewritten = new ArrayLog([entry(1, 1, 'x'), entry(2, 2, 'new')]);
    c.observeAppend(1, old.entries, old);
    c.observeAppend(1, rewritten.entries.slice(1), rewritten);
    c.observeAppend(2, rewritten.entries, rewritten);
  });
});

describe('leader completeness', () => {
  it('fails when a leader of a later term lacks a committed entry', () => {
    const c = new SafetyChecker();
    const full = new ArrayLog([entry(1, 1, 'a'), entry(2, 2, 'b')]);
    c.observeCommit(1, 2, 2, full);
    const short = new ArrayLog([entry(1, 1, 'a')]);
    expectViolation('leader-completeness', () => c.observeLeader(2, 3, short));
  });

  it('fails when an entry commits that a sitting later-term leader does not have', () => {
    const c = new SafetyChecker();
    const stale = new ArrayLog([entry(1, 1, 'a'), entry(2, 1, 'other')]);
    c.observeLeader(3, 4, stale);
    const full = new ArrayLog([entry(1, 1, 'a'), entry(2, 2, 'b')]);
    expectViolation('leader-completeness', () => c.observeCommit(1, 2, 2, full));
  });

  it('allows a leader whose term is not later than the commit', () => {
    // A candidate of term 2 may win with votes granted before term 3 committed index 2.
    const c = new SafetyChecker();
    c.observeCommit(1, 2, 3, new ArrayLog([entry(1, 1, 'a'), entry(2, 3, 'b')]));
    c.observeLeader(2, 2, new ArrayLog([entry(1, 1, 'a')]));
  });

  it('fails when two nodes commit different terms at one index', () => {
    const c = new SafetyChecker();
    c.observeCommit(1, 1, 1, new ArrayLog([entry(1, 1, 'a')]));
    expectViolation('committed-agreement', () => c.observeCommit(2, 1, 2, new ArrayLog([entry(1, 2, 'b')])));
  });
});

describe('state machine safety and apply order', () => {
  it('fails when two nodes apply different entries at the same index', () => {
    const c = new SafetyChecker();
    c.observeProposal(asciiBytes('a'));
    c.observeProposal(asciiBytes('b'));
    const a = entry(1, 1, 'a');
    const b = entry(1, 1, 'b');
    c.observeApply(1, a, appliedState(a), 1);
    expectViolation('state-machine-safety', () => c.observeApply(2, b, appliedState(b), 1));
  });

  it('allows the same entry applied by several nodes and again after a restart', () => {
    const c = new SafetyChecker();
    c.observeProposal(asciiBytes('a'));
    const a = entry(1, 1, 'a');
    c.observeApply(1, a, appliedState(a), 1);
    c.observeApply(2, a, appliedState(a), 1);
    c.observeApply(1, a, appliedState(a), 1);
  });

  it('fails when an entry is applied beyond the commit index', () => {
    const c = new SafetyChecker();
    c.observeProposal(asciiBytes('a'));
    const a = entry(1, 1, 'a');
    expectViolation('apply-order', () => c.observeApply(1, a, appliedState(a), 0));
  });

  it('fails when a payload nobody proposed is applied', () => {
    const c = new SafetyChecker();
    const forged = entry(1, 1, 'forged');
    expectViolation('integrity', () => c.observeApply(1, forged, appliedState(forged), 1));
  });

  it('fails when a restored snapshot disagrees with what was applied', () => {
    const c = new SafetyChecker();
    c.observeProposal(asciiBytes('a'));
    const a = entry(1, 1, 'a');
    c.observeApply(1, a, appliedState(a), 1);
    expectViolation('snapshot-consistency', () => c.observeSnapshotRestore(2, appliedState(entry(1, 1, 'b')), 1));
    expectViolation('snapshot-consistency', () => c.observeSnapshotRestore(2, appliedState(a), 2));
    c.observeSnapshotRestore(3, appliedState(a), 1);
  });
});

describe('hard state', () => {
  it('fails when a term goes back', () => {
    const c = new SafetyChecker();
    c.observeHardState(1, { term: 3, vote: 0, commit: 0 });
    expectViolation('hard-state', () => c.observeHardState(1, { term: 2, vote: 0, commit: 0 }));
  });

  it('fails when a vote changes within a term', () => {
    const c = new SafetyChecker();
    c.observeHardState(1, { term: 3, vote: 2, commit: 0 });
    expectViolation('hard-state', () => c.observeHardState(1, { term: 3, vote: 3, commit: 0 }));
  });

  it('fails when the commit index goes back', () => {
    const c = new SafetyChecker();
    c.observeHardState(1, { term: 3, vote: 2, commit: 5 });
    expectViolation('hard-state', () => c.observeHardState(1, { term: 4, vote: 0, commit: 4 }));
  });

  it('allows a first vote in a term and a new vote in a new term', () => {
    const c = new SafetyChecker();
    c.observeHardState(1, { term: 3, vote: 0, commit: 0 });
    c.observeHardState(1, { term: 3, vote: 2, commit: 1 });
    c.observeHardState(1, { term: 4, vote: 1, commit: 1 });
  });
});
