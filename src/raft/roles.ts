// Per-role behaviour (etcd swaps step/tick functions on every role change):
// the table is indexed by StateType, so a role change is just `r.state = ...`.
import { stepCandidate } from './candidate.js';
import { stepFollower } from './follower.js';
import { stepLeader, tickHeartbeat } from './leader.js';
import type { Raft } from './raft.js';
import { StateType } from './state.js';
import type { Message } from './types.js';

export interface RoleHandlers {
  /** Messages not handled by the role-independent part of Raft.step. */
  step(r: Raft, m: Message): void;
  tick(r: Raft): void;
}

const tickElection = (r: Raft): void => r.tickElection();

const roles: Record<StateType, RoleHandlers> = {
  [StateType.Follower]: { step: stepFollower, tick: tickElection },
  [StateType.Candidate]: { step: stepCandidate, tick: tickElection },
  [StateType.PreCandidate]: { step: stepCandidate, tick: tickElection },
  [StateType.Leader]: { step: stepLeader, tick: tickHeartbeat },
};

export function roleOf(s: StateType): RoleHandlers {
  return roles[s];
}
