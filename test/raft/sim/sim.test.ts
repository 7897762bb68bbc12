// The fault simulator over many seeds (see seeds.ts for RAFT_SEED, RAFT_SEEDS, RAFT_SIM_EVENTS).
// A failing seed throws a SimulationFailure whose message says how to replay it.

import { describe, expect, it } from 'vitest';
import { seedPlan, chunks } from './seeds.js';
import { defaultSettings, runSeed, type SimulationResult, type SimulationSettings } from './simulation.js';

const defaultSeedCount = 500;
const seedsPerTest = 50;
const plan = seedPlan(process.env, defaultSeedCount);
const settings: SimulationSettings = { ...defaultSettings, eventsShown: plan.eventsShown };

/** Sums of every run's counters, to check that the faults really happened. */
const totals = new Map<string, number>();
const sizes = new Set<number>();

function record(r: SimulationResult): void {
  sizes.add(r.size);
  for (const [k, v] of Object.entries(r.stats)) totals.set(k, (totals.get(k) ?? 0) + v);
}

describe('raft fault simulation', () => {
  if (plan.replay) {
    it(`replays seed ${plan.seeds[0]}`, () => {
      const r = runSeed(plan.seeds[0] as number, settings);
      console.log(`seed ${r.seed}: ${r.size} nodes, ${r.committed} committed, live after ${r.livenessTicks} ticks`, r.stats);
    });
    return;
  }

  for (const chunk of chunks(plan.seeds, seedsPerTest)) {
    it(`seeds ${chunk[0]}..${chunk[chunk.length - 1]} keep every invariant`, () => {
      for (const seed of chunk) record(runSeed(seed, settings));
    });
  }

  it.runIf(plan.seeds.length >= 100)('exercised both cluster sizes and every kind of fault', () => {
    expect([...sizes].sort()).toEqual([3, 5]);
    for (const counter of [
      'crashes',
      'partitions',
      'lost',
      'transfers',
      'streamsClosed',
      'flaps',
      'earlyCampaigns',
      'snapshotsTaken',
      'snapshotsRestored',
      'snapshotReadsRefused',
      'confChangesApplied',
      'leaderTerms',
      'committed',
    ]) {
      expect(totals.get(counter), counter).toBeGreaterThan(0);
    }
  });
});

describe('determinism', () => {
  it('replays a seed to the same history', () => {
    const a = runSeed(7);
    const b = runSeed(7);
    expect(b).toEqual(a);
  });
});
