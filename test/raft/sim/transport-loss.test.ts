// Transport-loss events in the simulator, acted on by the chain's leader-loss
// policy. Under every seed's faults (sim.test.ts runs them all with it on) the
// invariants hold; here: a crashed leader is replaced before any election
// timeout could have fired, in one election (no split vote), and a follower
// whose own stream to a healthy leader flaps — even for good — never moves
// leadership, as long as PreVote and CheckQuorum are on (as in the chain).

import { describe, expect, it } from 'vitest';
import { Cluster, type ClusterOptions } from './cluster.js';
import { Prng } from './prng.js';
import { awaitLiveness, clusterOptionsFor, defaultSettings } from './simulation.js';

function healthyCluster(seed: number, overrides: Partial<ClusterOptions> = {}): Cluster {
  const prng = new Prng(seed);
  const options: ClusterOptions = {
    ...clusterOptionsFor(prng),
    size: 3,
    spareNodes: 0,
    membershipChangeChance: 0,
    preVote: true,
    checkQuorum: true,
    disableProposalForwarding: true,
    snapshotUnavailableChance: 0,
    ...overrides,
  };
  const cluster = new Cluster(prng, options);
  awaitLiveness(cluster, defaultSettings);
  // A few quiet ticks: every follower has heard the leader (its CheckQuorum lease is fresh).
  for (let t = 0; t < 3; t++) cluster.runTick();
  return cluster;
}

/** Ticks until every running node knows the same leader; returns the ticks it took. */
function ticksToAgreedLeader(cluster: Cluster, maxTicks: number): number {
  for (let t = 0; t <= maxTicks; t++) {
    const running = cluster.ids.filter((id) => cluster.isRunning(id));
    const leads = running.map((id) => cluster.node(id).lead);
    if (leads[0] !== 0 && leads.every((l) => l === leads[0]) && cluster.node(leads[0]!).isLeader) return t;
    cluster.runTick();
  }
  throw new Error(`no agreed leader within ${maxTicks} ticks: ${cluster.describeNodes()}`);
}

describe("transport-loss events (the chain's leader-loss policy in the simulator)", () => {
  it('a crashed leader is replaced within fewer ticks than the shortest election timeout, by one election', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = healthyCluster(seed);
      const old = cluster.leaderIds()[0]!;
      const term = cluster.node(old).term;
      const termsBefore = cluster.checker.leaderTerms;
      cluster.crash(old);
      const ticks = ticksToAgreedLeader(cluster, 5 * cluster.options.electionTick);
      expect(ticks, `seed ${seed}`).toBeLessThan(cluster.options.electionTick);
      const leader = cluster.leaderIds()[0]!;
      expect(cluster.node(leader).term, `seed ${seed}: one election, no split vote`).toBe(term + 1);
      expect(cluster.checker.leaderTerms).toBe(termsBefore + 1);
      // The second survivor may campaign too when the first one's PreVote is slow to reach it; it still ends in one election.
      expect(cluster.transportLoss!.counts.earlyCampaigns).toBeGreaterThanOrEqual(1);
    }
  });

  it('without it the same crash waits for an election timeout', () => {
    const cluster = healthyCluster(1, { leaderLossGraceMs: undefined });
    cluster.crash(cluster.leaderIds()[0]!);
    expect(ticksToAgreedLeader(cluster, 5 * cluster.options.electionTick)).toBeGreaterThanOrEqual(cluster.options.electionTick);
  });

  it('a follower whose own stream to a healthy leader flaps, even for good, changes no leadership', () => {
    let earlyCampaigns = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = healthyCluster(seed);
      const leader = cluster.leaderIds()[0]!;
      const term = cluster.node(leader).term;
      const termsBefore = cluster.checker.leaderTerms;
      const prng = new Prng(seed);
      for (let i = 0; i < 10; i++) {
        const followers = cluster.ids.filter((id) => id !== leader);
        cluster.flapToLeader(prng.pick(followers), prng.chance(0.5));
        for (let t = 0; t < 1 + prng.int(5); t++) {
          cluster.maybePropose(0.5);
          cluster.runTick();
        }
      }
      expect(cluster.transportLoss!.counts.flaps).toBe(10);
      earlyCampaigns += cluster.transportLoss!.counts.earlyCampaigns;
      expect(cluster.leaderIds(), `seed ${seed}`).toEqual([leader]);
      expect(cluster.node(leader).term, `seed ${seed}`).toBe(term);
      expect(cluster.checker.leaderTerms).toBe(termsBefore);
    }
    // Some flaps did end in an early campaign (others found the leader's heartbeat first): all were refused.
    expect(earlyCampaigns).toBeGreaterThan(0);
  });
});
