import { MessageType, type Entry, type Message } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The fields of a message being built; everything but type and recipient defaults to zero. */
export type MessageFields = Partial<Mutable<Message>> & { type: MessageType; to: number };

const noEntries: readonly Entry[] = Object.freeze([]);

/**
 * Builds a complete message. Every message has the same property order (one
 * hidden class in V8): this runs several times per proposal.
 */
export function newMessage(f: MessageFields, from = f.from ?? 0, term = f.term ?? 0): Message {
  return {
    type: f.type,
    to: f.to,
    from,
    term,
    logTerm: f.logTerm ?? 0,
    index: f.index ?? 0,
    entries: f.entries ?? noEntries,
    commit: f.commit ?? 0,
    reject: f.reject ?? false,
    rejectHint: f.rejectHint ?? 0,
    snapshot: f.snapshot,
    context: f.context,
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

/**
 * A leader's messages to its followers — appends, heartbeats, snapshots and a
 * transfer's MsgTimeoutNow — may leave while the Ready that carries them is
 * being written (the Raft thesis, 10.2.1): a node leads only once its term and
 * vote are on its disk, and counts its own entries toward commit only once
 * they are too (its own ack is a message to itself, stepped on advance()), so
 * a crash before the write loses only entries no quorum counted this node
 * for, and it cannot lead that term again. Every other message waits for the
 * write: acks and votes promise durability, and a vote request claims a term
 * and a log that must not be lost once a voter may grant it (a restarted
 * candidate could otherwise count a grant given to the log it lost).
 */
export function leavesBeforeWrite(t: MessageType): boolean {
  return t === MessageType.MsgApp || t === MessageType.MsgHeartbeat || t === MessageType.MsgSnap || t === MessageType.MsgTimeoutNow;
}

export function voteRespType(t: MessageType): MessageType {
  return t === MessageType.MsgVote ? MessageType.MsgVoteResp : MessageType.MsgPreVoteResp;
}
