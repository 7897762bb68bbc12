import { describe, expect, it } from 'vitest';
import { Inflights } from '../../src/raft/inflights.js';
import { Progress, ProgressState } from '../../src/raft/progress.js';

function progress(match: number, next: number, state = ProgressState.Probe): Progress {
  const pr = new Progress(next, new Inflights(4, 0), false, true);
  pr.match = match;
  if (state === ProgressState.Replicate) pr.becomeReplicate();
  pr.next = next;
  return pr;
}

describe('Progress', () => {
  it('probe: one message in flight pauses until an answer', () => {
    const pr = progress(0, 1);
    pr.sentEntries(2, 20);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(1); // probing does not advance next optimistically
    expect(pr.maybeUpdate(2)).toBe(true);
    expect(pr.isPaused()).toBe(false);
    expect([pr.match, pr.next]).toEqual([2, 3]);
  });

  it('replicate: next advances optimistically and the window fills', () => {
    const pr = progress(5, 6, ProgressState.Replicate);
    for (let i = 0; i < 4; i++) pr.sentEntries(1, 1);
    expect(pr.next).toBe(10);
    expect(pr.inflights.count()).toBe(4);
    expect(pr.isPaused()).toBe(true);
    pr.inflights.freeLE(7);
    pr.maybeUpdate(7);
    expect(pr.isPaused()).toBe(false);
  });

  it('maybeUpdate ignores stale acknowledgements', () => {
    const pr = progress(5, 6);
    expect(pr.maybeUpdate(4)).toBe(false);
    expect(pr.maybeUpdate(5)).toBe(false);
    expect(pr.match).toBe(5);
  });

  it('maybeDecrTo in replicate: rewinds to match+1 unless the rejection is stale', () => {
    const pr = progress(5, 10, ProgressState.Replicate);
    expect(pr.maybeDecrTo(4, 4)).toBe(false);
    expect(pr.maybeDecrTo(9, 2)).toBe(true);
    expect(pr.next).toBe(6);
  });

  it('maybeDecrTo in probe: uses the hint but never goes below match+1, ignores other rejections', () => {
    const pr = progress(2, 10);
    expect(pr.maybeDecrTo(8, 3)).toBe(false); // not the index we probed (next-1 = 9)
    expect(pr.maybeDecrTo(9, 4)).toBe(true);
    expect(pr.next).toBe(5);
    expect(pr.maybeDecrTo(4, 0)).toBe(true);
    expect(pr.next).toBe(3);
  });

  it('becomeProbe after a snapshot resumes after the snapshot index', () => {
    const pr = progress(3, 4);
    pr.becomeSnapshot(10);
    expect(pr.isPaused()).toBe(true);
    expect(pr.toString()).toBe('StateSnapshot match=3 next=11 paused pendingSnap=10');
    pr.becomeProbe();
    expect([pr.state, pr.next]).toEqual([ProgressState.Probe, 11]);
  });

  it('canBumpCommit only when the follower may lag the commit index', () => {
    const pr = progress(5, 8);
    pr.sentCommitTo(5);
    expect(pr.canBumpCommit(5)).toBe(false);
    expect(pr.canBumpCommit(6)).toBe(true);
    pr.sentCommitTo(7);
    expect(pr.canBumpCommit(9)).toBe(false); // sentCommit already covers next-1
  });

  it('prints like etcd', () => {
    const pr = progress(5, 8, ProgressState.Replicate);
    pr.sentEntries(1, 1);
    pr.recentActive = false;
    expect(pr.toString()).toBe('StateReplicate match=5 next=9 inactive inflight=1');
  });
});
