// A scripted scenario, not a random one: the liveness limitation that made
// the simulator enable membership changes only with PreVote (FINDINGS.md).
//
// Node 1 is cut off while the others add node 4, hand it the leadership and
// remove nodes 2 and 3, leaving the membership {1, 4}. Node 1 never learns
// any of this: its membership is still {1, 2, 3}. Without PreVote, node 1
// campaigns in isolation at ever higher terms. Once the network heals and
// nodes 2 and 3 are shut down, node 1 keeps asking only nodes 2 and 3 for
// votes, and with CheckQuorum off it ignores the lower-term appends of node 4
// (etcd's rules: a message from a lower term is dropped without a reply), so
// node 4 never learns the higher term and nothing commits. With PreVote,
// node 1's term stays put while it is cut off and node 4 simply catches it up.

import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import { ConfChangeType, type ConfChange } from '../../../src/raft/types.js';
import { Cluster } from './cluster.js';
import { InvariantViolation } from './invariants.js';
import { Prng } from './prng.js';
import { awaitLiveness, clusterOptionsFor, defaultSettings } from './simulation.js';

const stepTicksMax = 500;

function runUntil(cluster: Cluster, what: string, done: () => boolean): void {
  for (let t = 0; t < stepTicksMax; t++) {
    if (done()) return;
    cluster.runTick();
  }
  assert.fail(`scenario step did not happen within ${stepTicksMax} ticks: ${what}; ${cluster.describeNodes()}`);
}

function changeMembership(cluster: Cluster, cc: ConfChange, appliedBy: number[]): void {
  const isApplied = (id: number): boolean => {
    const cs = cluster.node(id).confState;
    const member = cs.voters.includes(cc.nodeId);
    return cc.type === ConfChangeType.RemoveNode ? !member : member;
  };
  runUntil(cluster, `${ConfChangeType[cc.type]} ${cc.nodeId}`, () => {
    if (appliedBy.every(isApplied)) return true;
    const leader = cluster.newestLeader();
    if (leader !== undefined && cluster.tickCount % 20 === 0) leader.proposeConfChange(cc);
    return false;
  });
}

/** Runs the scenario; returns the liveness failure, or undefined if the cluster recovered. */
function staleMembershipScenario(preVote: boolean): InvariantViolation | undefined {
  const prng = new Prng(4242);
  const cluster = new Cluster(prng, {
    ...clusterOptionsFor(prng),
    size: 3,
    spareNodes: 1,
    membershipChangeChance: 0,
    preVote,
    checkQuorum: false,
    disableProposalForwarding: false,
  });
  runUntil(cluster, 'a first leader among 2 and 3', () => {
    const leader = cluster.newestLeader();
    if (leader?.id === 1) cluster.transferLeadership(1, 2);
    return leader !== undefined && leader.id !== 1;
  });
  cluster.partition([[1], [2, 3, 4]]);
  changeMembership(cluster, { type: ConfChangeType.AddNode, nodeId: 4 }, [2, 3, 4]);
  runUntil(cluster, 'node 4 leads', () => {
    const leader = cluster.newestLeader();
    if (leader !== undefined && leader.id !== 4 && cluster.tickCount % 20 === 0) cluster.transferLeadership(leader.id, 4);
    return leader?.id === 4;
  });
  changeMembership(cluster, { type: ConfChangeType.RemoveNode, nodeId: 2 }, [4]);
  changeMembership(cluster, { type: ConfChangeType.RemoveNode, nodeId: 3 }, [4]);
  expect([...cluster.node(4).confState.voters]).toEqual([1, 4]);
  expect([...cluster.node(1).confState.voters]).toEqual([1, 2, 3]);
  for (let t = 0; t < 10 * cluster.options.electionTick; t++) cluster.runTick();
  cluster.healAll();
  expect(cluster.isRunning(2) || cluster.isRunning(3)).toBe(false);
  try {
    awaitLiveness(cluster, defaultSettings);
    return undefined;
  } catch (err) {
    if (err instanceof InvariantViolation) return err;
    throw err;
  }
}

describe('a voter that missed the latest membership', () => {
  it('livelocks elections without PreVote (etcd drops lower-term messages without a reply)', () => {
    const violation = staleMembershipScenario(false);
    expect(violation?.invariant).toBe('liveness');
  });

  it('is caught up by the new leader with PreVote', () => {
    expect(staleMembershipScenario(true)).toBeUndefined();
  });
});
