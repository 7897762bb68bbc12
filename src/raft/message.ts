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
 * Acks and votes: each promises something about the sender's disk (entries
 * appended, a vote cast), so it may leave only once the Ready that produced it
 * is durable (etcd's msgsAfterAppend). Every other message a Ready carries — a
 * leader's appends, heartbeats and snapshots, a candidate's vote requests —
 * promises nothing and may leave while that Ready's write runs: the node's own
 * ack and own vote are messages to itself, stepped only on advance(), after
 * the write, so a leader never counts an entry of its own, nor a candidate its
 * own vote, before they are on its disk (the Raft thesis, 10.2.1).
 */
export function waitsForDurability(t: MessageType): boolean {
  return t === MessageType.MsgAppResp || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVoteResp;
}

export function voteRespType(t: MessageType): MessageType {
  return t === MessageType.MsgVote ? MessageType.MsgVoteResp : MessageType.MsgPreVoteResp;
}
