// The liveness check and the failure report must work too: a network that
// never heals has to fail the check, and a failing seed has to print how to
// replay it together with the last events.

import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { InvariantViolation } from './invariants.js';
import { Prng } from './prng.js';
import { SimulationFailure, awaitLiveness, clusterOptionsFor, defaultSettings, runSeed } from './simulation.js';

function newCluster(seed: number): Cluster {
  const prng = new Prng(seed);
  return new Cluster(prng, clusterOptionsFor(prng));
}

describe('liveness check', () => {
  it('passes on a healthy cluster: a leader is elected and a proposal is applied everywhere', () => {
    const cluster = newCluster(11);
    const ticks = awaitLiveness(cluster, defaultSettings);
    expect(ticks).toBeLessThanOrEqual(defaultSettings.livenessBoundElectionTimeouts * cluster.options.electionTick);
    expect(cluster.leaderIds()).toHaveLength(1);
    expect(cluster.markerAppliedEverywhere()).toBe(true);
  });

  it('fails when every node stays cut off from the others', () => {
    const cluster = newCluster(12);
    cluster.partition(cluster.ids.map((id) => [id]));
    let caught: unknown;
    try {
      awaitLiveness(cluster, defaultSettings);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvariantViolation);
    expect((caught as InvariantViolation).invariant).toBe('liveness');
    expect(cluster.markerAppliedEverywhere()).toBe(false);
  });

  it('fails when one member stays cut off, since every member must apply the proposal', () => {
    const cluster = newCluster(13);
    cluster.partition([[1], cluster.ids.filter((id) => id !== 1)]);
    expect(() => awaitLiveness(cluster, defaultSettings)).toThrow(/liveness: .*markers proposed.*n1 term \d+ lead 0 applied 1 /);
  });
});

describe('failure report', () => {
  it('names the seed, the replay command and the last events', () => {
    let caught: unknown;
    try {
      // A zero bound makes the liveness check fail right after healing.
      runSeed(5, { ...defaultSettings, livenessBoundElectionTimeouts: 0 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SimulationFailure);
    const failure = caught as SimulationFailure;
    expect(failure.seed).toBe(5);
    expect(failure.cause).toBeInstanceOf(InvariantViolation);
    const lines = failure.message.split('\n');
    expect(lines[0]).toMatch(/^seed 5 \(\d nodes.*\) failed at tick \d+: invariant liveness: /);
    expect(lines[1]).toBe('replay: RAFT_SEED=5 npm run test:sim');
    expect(lines[2]).toBe(`last ${defaultSettings.eventsShown} events:`);
    expect(lines.slice(3)).toHaveLength(defaultSettings.eventsShown);
    // The failure came right after healing (and restarting or decommissioning nodes).
    expect(lines.slice(3).some((line) => line.includes('all faults healed'))).toBe(true);
  });
});
