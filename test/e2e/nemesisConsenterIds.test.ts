// The nemesis' record of which node each Raft id names per channel
// (scripts/nemesis/consenterIds.ts): a re-added consenter takes its channel's
// next id, and an id another channel gives to another node is reported as a
// collision (the membership faults of seed 777 gave consenter 4 to node 3 on
// nemesis-0 and to node 2 on nemesis-1).

import { describe, expect, it } from 'vitest';
import { ConsenterIds, describeReadded } from '../../scripts/nemesis/consenterIds.js';

describe('nemesis consenter ids', () => {
  it('a re-added consenter takes its channel next id, each channel numbering on its own', () => {
    const ids = new ConsenterIds(['a', 'b'], [1, 2, 3]);
    expect(ids.readded('a', 3)).toEqual({ id: 4, collision: '' });
    expect(ids.readded('a', 1)).toEqual({ id: 5, collision: '' });
    expect(ids.readded('a', 1)).toEqual({ id: 6, collision: '' });
  });

  it('an id another channel gives to another node is a collision', () => {
    const ids = new ConsenterIds(['nemesis-0', 'nemesis-1'], [1, 2, 3]);
    ids.readded('nemesis-0', 3);
    const readded = ids.readded('nemesis-1', 2);
    expect(readded).toEqual({ id: 4, collision: 'consenter 4 of nemesis-0 is node 3' });
    expect(describeReadded(readded)).toContain('Raft ids collide across channels');
  });

  it('the same node under the same id on two channels is no collision', () => {
    const ids = new ConsenterIds(['a', 'b'], [1, 2, 3]);
    ids.readded('a', 2);
    expect(ids.readded('b', 2)).toEqual({ id: 4, collision: '' });
    expect(describeReadded({ id: 4, collision: '' })).toBe('added back as consenter 4');
  });

  it('an unknown channel is named', () => {
    expect(() => new ConsenterIds(['a'], [1, 2, 3]).readded('b', 1)).toThrow('no channel "b"');
  });
});
