import { describe, expect, it } from 'vitest';
import { applySimpleChanges, restoreConfState, type ConfigChangeResult } from '../../src/raft/confchange.js';
import { RaftError } from '../../src/raft/errors.js';
import { Inflights } from '../../src/raft/inflights.js';
import { describeMembership } from '../../src/raft/tracker.js';
import { ConfChangeType, emptyConfState } from '../../src/raft/types.js';

const newInflights = () => new Inflights(8, 0);
const empty: ConfigChangeResult = { config: { voters: new Set(), learners: new Set() }, progress: new Map() };

function restored(voters: number[], learners: number[] = []): ConfigChangeResult {
  return restoreConfState(empty, newInflights, 10, { ...emptyConfState, voters, learners });
}

describe('single-step membership changes', () => {
  it('restores a conf state with fresh progress (next = last index)', () => {
    const r = restored([1, 2], [3]);
    expect(describeMembership(r.config)).toBe('voters=(1 2) learners=(3)');
    expect(r.progress.get(3)!.isLearner).toBe(true);
    expect(r.progress.get(1)!.next).toBe(10);
  });

  it('adds and removes one voter at a time, leaving the input untouched', () => {
    const base = restored([1, 2, 3]);
    const added = applySimpleChanges(base, newInflights, 10, [{ type: ConfChangeType.AddNode, nodeId: 4 }]);
    expect(describeMembership(added.config)).toBe('voters=(1 2 3 4)');
    const removed = applySimpleChanges(added, newInflights, 10, [{ type: ConfChangeType.RemoveNode, nodeId: 1 }]);
    expect(describeMembership(removed.config)).toBe('voters=(2 3 4)');
    expect(removed.progress.has(1)).toBe(false);
    expect(describeMembership(base.config)).toBe('voters=(1 2 3)');
  });

  it('promotes a learner and demotes a voter, keeping its progress', () => {
    const base = restored([1, 2], [3]);
    base.progress.get(3)!.match = 7;
    const promoted = applySimpleChanges(base, newInflights, 10, [{ type: ConfChangeType.AddNode, nodeId: 3 }]);
    expect(describeMembership(promoted.config)).toBe('voters=(1 2 3)');
    expect(promoted.progress.get(3)!.match).toBe(7);
    expect(promoted.progress.get(3)!.isLearner).toBe(false);
    const demoted = applySimpleChanges(promoted, newInflights, 10, [{ type: ConfChangeType.AddLearnerNode, nodeId: 2 }]);
    expect(describeMembership(demoted.config)).toBe('voters=(1 3) learners=(2)');
  });

  it('removing an unknown node and updating a node change nothing', () => {
    const base = restored([1, 2]);
    const r = applySimpleChanges(base, newInflights, 10, [
      { type: ConfChangeType.RemoveNode, nodeId: 9 },
      { type: ConfChangeType.UpdateNode, nodeId: 1 },
    ]);
    expect(describeMembership(r.config)).toBe('voters=(1 2)');
  });

  it('refuses to remove the last voter', () => {
    const base = restored([1]);
    expect(() => applySimpleChanges(base, newInflights, 10, [{ type: ConfChangeType.RemoveNode, nodeId: 1 }])).toThrow(/remove all voters/);
  });

  it('refuses to change two voters at once (that needs joint consensus)', () => {
    const base = restored([1, 2, 3]);
    try {
      applySimpleChanges(base, newInflights, 10, [
        { type: ConfChangeType.AddNode, nodeId: 4 },
        { type: ConfChangeType.RemoveNode, nodeId: 1 },
      ]);
      expect.unreachable('two voter changes were accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(RaftError);
      expect((err as RaftError).code).toBe('conf-change-unsupported');
    }
  });

  it('refuses a joint conf state', () => {
    expect(() => restoreConfState(empty, newInflights, 1, { ...emptyConfState, voters: [1], votersOutgoing: [1, 2] })).toThrow(/joint/);
  });
});
