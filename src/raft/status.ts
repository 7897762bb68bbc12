import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import { StateType, type SoftState } from './state.js';
import type { ConfState, HardState } from './types.js';

/** A snapshot of a node's state for observers (copies; mutating them changes nothing). */
export interface Status {
  readonly id: number;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  /** Leader only: progress of every member, by id. */
  readonly progress?: ReadonlyMap<number, Progress>;
  readonly leadTransferee: number;
  readonly config: ConfState;
}

export function getStatus(r: Raft, withProgress: boolean): Status {
  let progress: Map<number, Progress> | undefined;
  if (withProgress && r.state === StateType.Leader) {
    progress = new Map();
    r.trk.visit((id, pr) => progress!.set(id, pr.clone()));
  }
  return {
    id: r.id,
    hardState: r.hardState(),
    softState: r.softState(),
    applied: r.log.applied,
    progress,
    leadTransferee: r.leadTransferee,
    config: {
      voters: r.trk.voterIds(),
      learners: Array.from(r.trk.config.learners).sort((a, b) => a - b),
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    },
  };
}

/** etcd's ProgressMap format: "1: StateReplicate match=3 next=4\n" per member, ascending id. */
export function describeProgress(progress: ReadonlyMap<number, Progress>): string {
  return Array.from(progress.keys())
    .sort((a, b) => a - b)
    .map((id) => `${id}: ${progress.get(id)!.toString()}\n`)
    .join('');
}
