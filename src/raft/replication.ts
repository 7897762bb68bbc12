// How a leader ships its log: MsgApp (entries), MsgSnap (when the follower
// needs entries we compacted) and heartbeats.
import { assert } from './assert.js';
import { entriesBytes } from './entrySize.js';
import { progressStateName, ProgressState, type Progress } from './progress.js';
import type { Raft } from './raft.js';
import { StorageError } from './storage.js';
import { MessageType, type Entry } from './types.js';

export function sendAppend(r: Raft, to: number): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends a MsgApp with the entries `to` needs, or a snapshot if they are
 * compacted. With `sendIfEmpty` false, sends nothing when there are no new
 * entries. Returns whether a message was sent.
 */
export function maybeSendAppend(r: Raft, to: number, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  assert(pr !== undefined, () => `no progress for ${to}`);
  if (pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  if (prevTerm === undefined) return maybeSendSnapshot(r, to, pr);
  let ents: Entry[] | undefined = [];
  // In Replicate state with a full window only an empty (commit-carrying) message may go.
  if (pr.state !== ProgressState.Replicate || !pr.inflights.full()) {
    ents = r.log.entries(pr.next, r.cfg.maxSizePerMsg);
  }
  if ((ents === undefined || ents.length === 0) && !sendIfEmpty) return false;
  if (ents === undefined) return maybeSendSnapshot(r, to, pr);
  r.send({ to, type: MessageType.MsgApp, index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed });
  pr.sentEntries(ents.length, entriesBytes(ents));
  pr.sentCommitTo(r.log.committed);
  return true;
}

/**
 * Probe state with a probe unanswered: asks again at the same index without
 * entries (the heartbeat response says the follower is there, not that the
 * probe was lost), and stays paused until an answer, so that a burst of
 * heartbeat responses costs a few bytes each instead of a full MsgApp each.
 */
export function sendEmptyProbe(r: Raft, to: number): void {
  const pr = r.trk.progress.get(to);
  assert(pr !== undefined && pr.state === ProgressState.Probe, () => `empty probe to ${to} outside StateProbe`);
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  if (prevTerm === undefined) {
    maybeSendSnapshot(r, to, pr);
    return;
  }
  r.send({ to, type: MessageType.MsgApp, index: prevIndex, logTerm: prevTerm, entries: [], commit: r.log.committed });
  pr.sentCommitTo(r.log.committed);
  pr.msgAppFlowPaused = true;
}

function maybeSendSnapshot(r: Raft, to: number, pr: Progress): boolean {
  if (!pr.recentActive) {
    r.logger.debug(`ignore sending snapshot to ${to.toString(16)} since it is not recently active`);
    return false;
  }
  let snapshot;
  try {
    snapshot = r.log.snapshot();
  } catch (err) {
    if (err instanceof StorageError && err.code === 'snapshot-temporarily-unavailable') {
      r.logger.debug(`${r.hexId()} failed to send snapshot to ${to.toString(16)} because snapshot is temporarily unavailable`);
      return false;
    }
    throw err;
  }
  assert(snapshot.metadata.index !== 0, 'need non-empty snapshot');
  const { index, term } = snapshot.metadata;
  r.logger.debug(
    `${r.hexId()} [firstindex: ${r.log.firstIndex()}, commit: ${r.log.committed}] sent snapshot[index: ${index}, term: ${term}] to ${to.toString(16)} [${pr.toString()}]`,
  );
  pr.becomeSnapshot(index);
  r.logger.debug(`${r.hexId()} paused sending replication messages to ${to.toString(16)} [${progressStateName(pr.state)}]`);
  r.send({ to, type: MessageType.MsgSnap, snapshot });
  return true;
}

export function sendHeartbeat(r: Raft, to: number): void {
  const pr = r.trk.progress.get(to)!;
  // Never tell a follower to commit beyond what it is known to have.
  const commit = Math.min(pr.match, r.log.committed);
  r.send({ to, type: MessageType.MsgHeartbeat, commit });
  pr.sentCommitTo(commit);
}

export function bcastAppend(r: Raft): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendAppend(r, id);
  });
}

export function bcastHeartbeat(r: Raft): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendHeartbeat(r, id);
  });
}
