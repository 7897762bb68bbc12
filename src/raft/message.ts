import { MessageType, type Message } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The fields of a message being built; everything but type and recipient defaults to zero. */
export type MessageFields = Partial<Mutable<Message>> & { type: MessageType; to: number };

export function newMessage(f: MessageFields): Message {
  return {
    from: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...f,
  };
}

const localTypes = new Set<MessageType>([
  MessageType.MsgHup,
  MessageType.MsgBeat,
  MessageType.MsgUnreachable,
  MessageType.MsgSnapStatus,
  MessageType.MsgCheckQuorum,
  MessageType.MsgStorageAppend,
  MessageType.MsgStorageAppendResp,
  MessageType.MsgStorageApply,
  MessageType.MsgStorageApplyResp,
]);

const responseTypes = new Set<MessageType>([
  MessageType.MsgAppResp,
  MessageType.MsgVoteResp,
  MessageType.MsgHeartbeatResp,
  MessageType.MsgUnreachable,
  MessageType.MsgReadIndexResp,
  MessageType.MsgPreVoteResp,
  MessageType.MsgStorageAppendResp,
  MessageType.MsgStorageApplyResp,
]);

/** Messages a node generates for itself; never accepted from the network. */
export function isLocalMsg(t: MessageType): boolean {
  return localTypes.has(t);
}

export function isResponseMsg(t: MessageType): boolean {
  return responseTypes.has(t);
}

export function voteRespType(t: MessageType): MessageType {
  return t === MessageType.MsgVote ? MessageType.MsgVoteResp : MessageType.MsgPreVoteResp;
}
