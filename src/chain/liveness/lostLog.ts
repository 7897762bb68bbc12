// A follower that lost its Raft log (data directory wiped, disk replaced)
// while the leader still counts the entries it had acknowledged: etcd raft
// would panic on the next heartbeat ("tocommit(N) is out of range
// [lastIndex(0)]" — the well-known Fabric failure of a wiped node), and the
// leader would never send it a snapshot, because a Raft leader never lowers
// a follower's match index within its term.
//
// Both ends are handled here, outside the Raft core:
// - the follower never commits beyond its log: a heartbeat whose commit is
//   past its last index is stepped without the commit advance, and answered
//   with an append rejection whose hint is its real last index;
// - the leader, seeing a rejection hinting below the follower's match index
//   (proof of a lost log on an ordered stream), replicates that follower from
//   scratch (RawNode.restartFollowerLog: its match forgotten, probed from
//   index 1, as a new leader starts every follower): entries, or, when they
//   were compacted, a snapshot after which the block puller fetches the
//   blocks (catch-up). Handing leadership to another node does the same at
//   the cost of an election and of a second leader for the wiped node to
//   find (1.2 s of a rejoin at load 30).

import { MessageType, type Message, type Status } from '../../raft/index.js';

export interface HeartbeatGuardOutcome {
  /** What to step into the RawNode. */
  readonly step: Message;
  /** Sent to the leader when the log is shorter than the commit index it announced. */
  readonly reply: Message | undefined;
}

/**
 * Follower side: `lastIndex` and `committed` are this node's. Messages other
 * than a heartbeat past the log's end pass unchanged.
 */
export function guardHeartbeat(m: Message, lastIndex: number, committed: number): HeartbeatGuardOutcome {
  if (m.type !== MessageType.MsgHeartbeat || m.commit <= lastIndex) return { step: m, reply: undefined };
  const reply: Message = {
    type: MessageType.MsgAppResp,
    to: m.from,
    from: m.to,
    term: m.term,
    logTerm: 0,
    index: m.commit,
    entries: [],
    commit: 0,
    reject: true,
    rejectHint: lastIndex,
  };
  return { step: { ...m, commit: Math.min(committed, lastIndex) }, reply };
}

/** Leader side: the follower's rejection says its log ends below what it acknowledged. */
export function lostLogOf(m: Message, status: Status): { readonly follower: number; readonly match: number; readonly lastIndex: number } | undefined {
  if (m.type !== MessageType.MsgAppResp || !m.reject || status.progress === undefined) return undefined;
  const match = status.progress.get(m.from)?.match ?? 0;
  if (m.rejectHint >= match) return undefined;
  return { follower: m.from, match, lastIndex: m.rejectHint };
}
