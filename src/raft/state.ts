import type { Entry, HardState, Message, Snapshot } from './types.js';

/** The role of a node. */
export enum StateType {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

/** "StateFollower", "StateLeader"...: etcd's names. */
export function stateName(s: StateType): string {
  return `State${StateType[s]}`;
}

/** Volatile state worth telling the application about (not persisted). */
export interface SoftState {
  readonly lead: number;
  readonly raftState: StateType;
}

export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${stateName(ss.raftState)}`;
}

/** Work for the application, handed out by RawNode.ready(). */
export interface Ready {
  /** Present only when changed since the last Ready. */
  readonly softState?: SoftState;
  /** Present only when changed since the last Ready. */
  readonly hardState?: HardState;
  /** To append to stable storage BEFORE sending messages. */
  readonly entries: readonly Entry[];
  /** To apply to stable storage. */
  readonly snapshot?: Snapshot;
  /** To apply to the state machine. */
  readonly committedEntries: readonly Entry[];
  /** To send AFTER entries, hardState and snapshot are durable. */
  readonly messages: readonly Message[];
  /** True iff hardState term/vote changed or entries is non-empty (an fsync is needed). */
  readonly mustSync: boolean;
}
