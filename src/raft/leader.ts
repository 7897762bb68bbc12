import { assert } from './assert.js';
import { decodeConfChange } from './confChangeCodec.js';
import { ProposalDroppedError } from './errors.js';
import { newMessage } from './message.js';
import { ProgressState, type Progress } from './progress.js';
import type { Raft } from './raft.js';
import { bcastAppend, bcastHeartbeat, maybeSendAppend, sendAppend, sendEmptyProbe } from './replication.js';
import { StateType } from './state.js';
import { EntryType, MessageType, type Entry, type Message } from './types.js';

export function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.cfg.electionTick) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum) r.step(newMessage({ type: MessageType.MsgCheckQuorum, to: 0, from: r.id }));
    // A transfer that did not finish within an election timeout is abandoned.
    if (r.state === StateType.Leader && r.leadTransferee !== 0) r.leadTransferee = 0;
  }
  if (r.state !== StateType.Leader) return;
  if (r.heartbeatElapsed >= r.cfg.heartbeatTick) {
    r.heartbeatElapsed = 0;
    r.step(newMessage({ type: MessageType.MsgBeat, to: 0, from: r.id }));
  }
}

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgBeat:
      bcastHeartbeat(r);
      return;
    case MessageType.MsgCheckQuorum:
      if (!r.trk.quorumActive()) {
        r.logger.warn(`${r.hexId()} stepped down to follower since quorum is not active`);
        r.becomeFollower(r.term, 0);
      }
      // Start a new round: members must show activity again before the next check.
      r.trk.visit((id, pr) => {
        if (id !== r.id) pr.recentActive = false;
      });
      return;
    case MessageType.MsgProp:
      propose(r, m);
      return;
    case MessageType.MsgForgetLeader:
      return;
  }
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) {
    r.logger.debug(`${r.hexId()} no progress available for ${m.from.toString(16)}`);
    return;
  }
  switch (m.type) {
    case MessageType.MsgAppResp:
      handleAppResp(r, m, pr);
      return;
    case MessageType.MsgHeartbeatResp: {
      pr.recentActive = true;
      // In Probe with a probe unanswered, every heartbeat response used to send
      // the probe's entries again (up to maxSizePerMsg each): a follower that
      // answers heartbeats in batches (slow to persist, just restarted) got
      // one full-size copy per response, and the flood held every other
      // message to it (its heartbeats, other channels) behind it. The probe
      // is asked again without entries: its answer resumes replication.
      const probeOutstanding = pr.state === ProgressState.Probe && pr.msgAppFlowPaused;
      pr.msgAppFlowPaused = false;
      if (probeOutstanding) sendEmptyProbe(r, m.from);
      else if (pr.match < r.log.lastIndex() || pr.state === ProgressState.Probe) sendAppend(r, m.from);
      return;
    }
    case MessageType.MsgSnapStatus:
      if (pr.state !== ProgressState.Snapshot) return;
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      r.logger.debug(
        `${r.hexId()} snapshot ${m.reject ? 'failed' : 'succeeded'}, resumed sending replication messages to ${m.from.toString(16)} [${pr.toString()}]`,
      );
      // Wait for a MsgAppResp/heartbeat response before probing again.
      pr.msgAppFlowPaused = true;
      return;
    case MessageType.MsgUnreachable:
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      r.logger.debug(`${r.hexId()} failed to send message to ${m.from.toString(16)} because it is unreachable [${pr.toString()}]`);
      return;
    case MessageType.MsgTransferLeader:
      transferLeader(r, m.from, pr);
      return;
    default:
      return;
  }
}

function propose(r: Raft, m: Message): void {
  assert(m.entries.length > 0, () => `${r.hexId()} stepped empty MsgProp`);
  if (!r.trk.progress.has(r.id)) {
    throw new ProposalDroppedError(`raft proposal dropped: leader ${r.hexId()} is no longer a member`);
  }
  if (r.leadTransferee !== 0) {
    r.logger.debug(`${r.hexId()} [term ${r.term}] transfer leadership to ${r.leadTransferee.toString(16)} is in progress; dropping proposal`);
    throw new ProposalDroppedError(`raft proposal dropped: leadership transfer to ${r.leadTransferee} in progress`);
  }
  const ents: Entry[] = m.entries.slice();
  ents.forEach((e, i) => {
    if (e.type === EntryType.Normal) return;
    // EntryConfChangeV2 is accepted only in its single-step form (see RawNode.proposeConfChangeV2).
    const cc = decodeConfChange(e.data);
    // One membership change at a time: a second one before the first is applied
    // could combine with it into an unsafe two-voter change.
    if (r.pendingConfIndex > r.log.applied) {
      r.logger.info(
        `${r.hexId()} ignoring conf change ${cc.type}/${cc.nodeId}: possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.log.applied})`,
      );
      ents[i] = { ...e, type: EntryType.Normal, data: new Uint8Array(0) };
    } else {
      r.pendingConfIndex = r.log.lastIndex() + i + 1;
    }
  });
  if (!r.appendEntry(ents)) throw new ProposalDroppedError('raft proposal dropped: uncommitted entries exceed maxUncommittedEntriesSize');
  bcastAppend(r);
}

function handleAppResp(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    r.logger.debug(
      `${r.hexId()} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from.toString(16)} for index ${m.index}`,
    );
    // The hint (index, term) is the follower's last entry that may match; find
    // our last entry at or below it whose term is <= term: a guaranteed skip.
    const nextProbeIdx = m.logTerm > 0 ? r.log.findConflictByTerm(m.rejectHint, m.logTerm).index : m.rejectHint;
    if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
      r.logger.debug(`${r.hexId()} decreased progress of ${m.from.toString(16)} to [${pr.toString()}]`);
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe))) return;
  if (pr.state === ProgressState.Probe) {
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= r.log.firstIndex()) {
    // The follower caught up past our compaction point without the snapshot.
    r.logger.debug(`${r.hexId()} recovered from needing snapshot, resumed sending replication messages to ${m.from.toString(16)} [${pr.toString()}]`);
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Replicate) {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    bcastAppend(r);
  } else if (r.id !== m.from && pr.canBumpCommit(r.log.committed)) {
    sendAppend(r, m.from);
  }
  if (r.id !== m.from) {
    // Fill the window: send as many MsgApp as flow control allows.
    while (maybeSendAppend(r, m.from, false)) {
      /* keep sending */
    }
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.logger.info(`${r.hexId()} sent MsgTimeoutNow to ${m.from.toString(16)} after received MsgAppResp`);
    r.sendTimeoutNow(m.from);
  }
}

function transferLeader(r: Raft, transferee: number, pr: Progress): void {
  if (pr.isLearner) {
    r.logger.debug(`${r.hexId()} is learner. Ignored transferring leadership`);
    return;
  }
  const last = r.leadTransferee;
  if (last !== 0) {
    if (last === transferee) {
      r.logger.info(
        `${r.hexId()} [term ${r.term}] transfer leadership to ${transferee.toString(16)} is in progress, ignores request to same node ${transferee.toString(16)}`,
      );
      return;
    }
    r.leadTransferee = 0;
    r.logger.info(`${r.hexId()} [term ${r.term}] abort previous transferring leadership to ${last.toString(16)}`);
  }
  if (transferee === r.id) {
    r.logger.debug(`${r.hexId()} is already leader. Ignored transferring leadership to self`);
    return;
  }
  r.logger.info(`${r.hexId()} [term ${r.term}] starts to transfer leadership to ${transferee.toString(16)}`);
  // The transfer must finish within one election timeout (see tickHeartbeat).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.log.lastIndex()) {
    r.sendTimeoutNow(transferee);
    r.logger.info(`${r.hexId()} sends MsgTimeoutNow to ${transferee.toString(16)} immediately as ${transferee.toString(16)} already has up-to-date log`);
  } else {
    sendAppend(r, transferee);
  }
}
