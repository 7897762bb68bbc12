// A scripted Raft leader for ConfigControl's unit tests: the status a serving
// leader reports (voters and match indexes chosen by the test) and a record of
// the ConfChanges it is asked to propose and the leadership transfers.

import type { ConfChange, RawNode } from '../../src/raft/index.js';
import { StateType } from '../../src/raft/index.js';

export interface ScriptedLeaderOptions {
  readonly selfId: number;
  /** Read at every status() / basicStatus() call, so a test may change the voters between steps. */
  readonly voters: () => readonly number[];
  readonly matchOf: (id: number) => number;
  readonly leadTransferee?: number;
}

export interface ScriptedLeader {
  readonly raft: RawNode;
  readonly proposed: ConfChange[];
  readonly transfers: number[];
}

export function scriptedLeaderRaft(opts: ScriptedLeaderOptions): ScriptedLeader {
  const proposed: ConfChange[] = [];
  const transfers: number[] = [];
  const { selfId } = opts;
  const basicStatus = () => ({
    id: selfId,
    applied: 20,
    leadTransferee: opts.leadTransferee ?? 0,
    hardState: { term: 3, vote: selfId, commit: 20 },
    softState: { lead: selfId, raftState: StateType.Leader },
    config: { voters: [...opts.voters()], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
  });
  const raft = {
    basicStatus,
    status: () => ({ ...basicStatus(), progress: new Map(opts.voters().map((id) => [id, { match: opts.matchOf(id) }])) }),
    proposeConfChange: (cc: ConfChange) => void proposed.push(cc),
    transferLeadership: (to: number) => void transfers.push(to),
  } as unknown as RawNode;
  return { raft, proposed, transfers };
}
