import { describe, expect, it } from 'vitest';
import { SeedPlanError, chunks, seedPlan } from './seeds.js';

describe('seedPlan', () => {
  it('runs the default count from seed 1', () => {
    expect(seedPlan({}, 3)).toEqual({ seeds: [1, 2, 3], replay: false, eventsShown: 30 });
  });

  it('takes RAFT_SEEDS and RAFT_SEED_FIRST', () => {
    expect(seedPlan({ RAFT_SEEDS: '2', RAFT_SEED_FIRST: '100' }, 500)).toEqual({ seeds: [100, 101], replay: false, eventsShown: 30 });
  });

  it('replays exactly RAFT_SEED, whatever RAFT_SEEDS says', () => {
    expect(seedPlan({ RAFT_SEED: '1234', RAFT_SEEDS: '9', RAFT_SIM_EVENTS: '500' }, 500)).toEqual({ seeds: [1234], replay: true, eventsShown: 500 });
  });

  it('refuses a malformed value and names the variable', () => {
    expect(() => seedPlan({ RAFT_SEEDS: 'lots' }, 500)).toThrow(SeedPlanError);
    expect(() => seedPlan({ RAFT_SEED: '-1' }, 500)).toThrow(/RAFT_SEED must be a non-negative integer, got "-1"/);
    expect(() => seedPlan({ RAFT_SEED_FIRST: '' }, 500)).toThrow(/RAFT_SEED_FIRST/);
    expect(() => seedPlan({ RAFT_SIM_EVENTS: '0' }, 500)).toThrow(/RAFT_SIM_EVENTS must be at least 1/);
  });
});

describe('chunks', () => {
  it('splits into consecutive runs of at most the given size', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});
