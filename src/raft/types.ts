// The Raft wire and log model, shaped after etcd's raftpb so that the
// interaction tests can print it in etcd's format.
//
// Terms and indexes are JS numbers. They are exact up to 2^53 - 1
// (Number.MAX_SAFE_INTEGER): at one entry per microsecond that is ~285 years
// of log, so the bound is asserted where indexes grow, not worked around.

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
  ConfChangeV2 = 2,
}

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Owned by the log once appended: callers must not mutate it afterwards. */
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  /** 0 = voted for nobody in `term`. */
  readonly vote: number;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** Joint consensus only (not used by single-step changes); kept for format parity. */
  readonly votersOutgoing: readonly number[];
  readonly learnersNext: readonly number[];
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly confState: ConfState;
  readonly index: number;
  readonly term: number;
}

export interface Snapshot {
  /** Application state at `metadata.index` (for the orderer: the last block). */
  readonly data: Uint8Array;
  readonly metadata: SnapshotMetadata;
}

export enum MessageType {
  MsgHup = 0,
  MsgBeat = 1,
  MsgProp = 2,
  MsgApp = 3,
  MsgAppResp = 4,
  MsgVote = 5,
  MsgVoteResp = 6,
  MsgSnap = 7,
  MsgHeartbeat = 8,
  MsgHeartbeatResp = 9,
  MsgUnreachable = 10,
  MsgSnapStatus = 11,
  MsgCheckQuorum = 12,
  MsgTransferLeader = 13,
  MsgTimeoutNow = 14,
  MsgReadIndex = 15,
  MsgReadIndexResp = 16,
  MsgPreVote = 17,
  MsgPreVoteResp = 18,
  MsgStorageAppend = 19,
  MsgStorageAppendResp = 20,
  MsgStorageApply = 21,
  MsgStorageApplyResp = 22,
  MsgForgetLeader = 23,
}

export interface Message {
  readonly type: MessageType;
  readonly to: number;
  readonly from: number;
  readonly term: number;
  /** Term of the entry at `index` (MsgApp: the entry preceding `entries`). */
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly snapshot?: Snapshot;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly context?: Uint8Array;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  UpdateNode = 2,
  AddLearnerNode = 3,
}

/** A single-step membership change (etcd's ConfChange "v1"). */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: number;
  readonly context?: Uint8Array;
}

export const emptyHardState: HardState = Object.freeze({ term: 0, vote: 0, commit: 0 });

export const emptyConfState: ConfState = Object.freeze({
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
});
