// The operator of the simulated cluster: now and then asks the leader for a
// single-step membership change (add a voter or learner, promote a learner,
// remove a voter, the leader included), keeping the voter count within bounds.
// Which change to ask for is decided from the leader's applied membership.

import { ConfChangeType, type ConfChange, type ConfState } from '../../../src/raft/types.js';
import type { Prng } from './prng.js';

export interface MembershipBounds {
  /** Every node id that may ever be a member. */
  readonly ids: readonly number[];
  /** Never remove below this many voters (>= 1). */
  readonly votersMin: number;
}

/** A change that keeps `config` within `bounds`, or undefined when none applies. */
export function pickConfChange(prng: Prng, config: ConfState, bounds: MembershipBounds): ConfChange | undefined {
  const members = new Set([...config.voters, ...config.learners]);
  const outsiders = bounds.ids.filter((id) => !members.has(id));
  const options: (() => ConfChange)[] = [];
  if (config.voters.length > bounds.votersMin) {
    options.push(() => ({ type: ConfChangeType.RemoveNode, nodeId: prng.pick(config.voters) }));
  }
  if (outsiders.length > 0) {
    options.push(() => ({ type: ConfChangeType.AddNode, nodeId: prng.pick(outsiders) }));
    options.push(() => ({ type: ConfChangeType.AddLearnerNode, nodeId: prng.pick(outsiders) }));
  }
  if (config.learners.length > 0) {
    options.push(() => ({ type: ConfChangeType.AddNode, nodeId: prng.pick(config.learners) }));
    options.push(() => ({ type: ConfChangeType.RemoveNode, nodeId: prng.pick(config.learners) }));
  }
  return options.length === 0 ? undefined : prng.pick(options)();
}
