// Which lane of a peer's send queue a frame takes. Control messages are small
// and time-critical (a late heartbeat or vote costs an election); bulk ones
// carry entries, snapshots or envelopes and may be megabytes. Control frames
// are written before any bulk frame, so a heartbeat never waits behind tens of
// MiB of appends (see PROTOCOL.md, "Lanes").

import { MessageType } from '../raft/index.js';

export type Lane = 'control' | 'bulk';

const CONTROL_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.MsgHeartbeat,
  MessageType.MsgHeartbeatResp,
  MessageType.MsgVote,
  MessageType.MsgVoteResp,
  MessageType.MsgPreVote,
  MessageType.MsgPreVoteResp,
  MessageType.MsgAppResp,
  MessageType.MsgTimeoutNow,
  MessageType.MsgReadIndex,
  MessageType.MsgReadIndexResp,
  MessageType.MsgTransferLeader,
  MessageType.MsgForgetLeader,
]);

/** The lane of a Raft message: bulk for MsgApp, MsgSnap, MsgProp (they carry entries or state), control for the rest. */
export function laneOfMessage(type: MessageType): Lane {
  return CONTROL_TYPES.has(type) ? 'control' : 'bulk';
}
