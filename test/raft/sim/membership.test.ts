import { describe, expect, it } from 'vitest';
import { ConfChangeType, type ConfState } from '../../../src/raft/types.js';
import { pickConfChange } from './membership.js';
import { Prng } from './prng.js';

function config(voters: number[], learners: number[] = []): ConfState {
  return { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
}

describe('pickConfChange', () => {
  it('never removes below the voter minimum and only adds known ids', () => {
    const prng = new Prng(1);
    const ids = [1, 2, 3, 4];
    for (let i = 0; i < 500; i++) {
      const cc = pickConfChange(prng, config([1, 2]), { ids, votersMin: 2 });
      expect(cc).toBeDefined();
      expect(cc?.type).not.toBe(ConfChangeType.RemoveNode);
      expect([3, 4]).toContain(cc?.nodeId);
    }
  });

  it('offers every kind of change when all are possible', () => {
    const prng = new Prng(2);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const cc = pickConfChange(prng, config([1, 2, 3], [4]), { ids: [1, 2, 3, 4, 5], votersMin: 2 });
      if (cc) seen.add(`${ConfChangeType[cc.type]} ${[1, 2, 3].includes(cc.nodeId) ? 'voter' : cc.nodeId === 4 ? 'learner' : 'outsider'}`);
    }
    expect([...seen].sort()).toEqual(['AddLearnerNode outsider', 'AddNode learner', 'AddNode outsider', 'RemoveNode learner', 'RemoveNode voter']);
  });

  it('has nothing to do when no change keeps the bounds', () => {
    expect(pickConfChange(new Prng(3), config([1, 2]), { ids: [1, 2], votersMin: 2 })).toBeUndefined();
  });
});
