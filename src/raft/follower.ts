import { assert } from './assert.js';
import { restoreConfState } from './confchange.js';
import { hup } from './election.js';
import { ProposalDroppedError } from './errors.js';
import { switchToConfig } from './membership.js';
import type { Raft } from './raft.js';
import { StateType } from './state.js';
import { ProgressTracker } from './tracker.js';
import { MessageType, type Message, type Snapshot } from './types.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgProp:
      if (r.lead === 0) {
        r.logger.info(`${r.hexId()} no leader at term ${r.term}; dropping proposal`);
        throw new ProposalDroppedError(`raft proposal dropped: ${r.hexId()} has no leader at term ${r.term}`);
      }
      if (r.cfg.disableProposalForwarding) {
        r.logger.info(`${r.hexId()} not forwarding to leader ${r.lead.toString(16)} at term ${r.term}; dropping proposal`);
        throw new ProposalDroppedError(`raft proposal dropped: ${r.hexId()} does not forward proposals`);
      }
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.MsgApp:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return;
    case MessageType.MsgHeartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case MessageType.MsgSnap:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return;
    case MessageType.MsgTransferLeader:
      if (r.lead === 0) {
        r.logger.info(`${r.hexId()} no leader at term ${r.term}; dropping leader transfer msg`);
        return;
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return;
    case MessageType.MsgForgetLeader:
      if (r.lead !== 0) {
        r.logger.info(`${r.hexId()} forgetting leader ${r.lead.toString(16)} at term ${r.term}`);
        r.lead = 0;
      }
      return;
    case MessageType.MsgTimeoutNow:
      r.logger.info(`${r.hexId()} [term ${r.term}] received MsgTimeoutNow from ${m.from.toString(16)} and starts an election to get leadership.`);
      hup(r, 'CampaignTransfer');
      return;
    default:
      return;
  }
}

export function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.log.committed) {
    // Everything up to our commit index matches the leader's log already.
    r.send({ to: m.from, type: MessageType.MsgAppResp, index: r.log.committed });
    return;
  }
  const lastNew = r.log.maybeAppend({ term: m.term, prev: { term: m.logTerm, index: m.index }, entries: m.entries }, m.commit);
  if (lastNew !== undefined) {
    r.send({ to: m.from, type: MessageType.MsgAppResp, index: lastNew });
    return;
  }
  r.logger.debug(
    `${r.hexId()} [logterm: ${r.log.term(m.index) ?? 0}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from.toString(16)}`,
  );
  // Hint the leader at the last index that may match, skipping whole terms
  // that cannot (the leader then probes there instead of one index at a time).
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  r.send({ to: m.from, type: MessageType.MsgAppResp, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(m.commit);
  r.send({ to: m.from, type: MessageType.MsgHeartbeatResp, context: m.context });
}

export function handleSnapshot(r: Raft, m: Message): void {
  assert(m.snapshot !== undefined, 'MsgSnap without a snapshot');
  const { index, term } = m.snapshot.metadata;
  if (restore(r, m.snapshot)) {
    r.logger.info(`${r.hexId()} [commit: ${r.log.committed}] restored snapshot [index: ${index}, term: ${term}]`);
    r.send({ to: m.from, type: MessageType.MsgAppResp, index: r.log.lastIndex() });
  } else {
    r.logger.info(`${r.hexId()} [commit: ${r.log.committed}] ignored snapshot [index: ${index}, term: ${term}]`);
    r.send({ to: m.from, type: MessageType.MsgAppResp, index: r.log.committed });
  }
}

/** Replaces log and membership with the snapshot's, unless we already have it. */
function restore(r: Raft, s: Snapshot): boolean {
  if (s.metadata.index <= r.log.committed) return false;
  if (r.state !== StateType.Follower) {
    r.logger.warn(`${r.hexId()} attempted to restore snapshot as leader; should never happen`);
    r.becomeFollower(r.term + 1, 0);
    return false;
  }
  const cs = s.metadata.confState;
  if (![cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(r.id))) {
    r.logger.warn(`${r.hexId()} attempted to restore snapshot but it is not in the ConfState; should never happen`);
    return false;
  }
  const id = { term: s.metadata.term, index: s.metadata.index };
  if (r.log.matchTerm(id)) {
    // We have the snapshot's last entry: just fast-forward the commit index.
    const last = r.log.lastEntryId();
    r.logger.info(
      `${r.hexId()} [commit: ${r.log.committed}, lastindex: ${last.index}, lastterm: ${last.term}] fast-forwarded commit to snapshot [index: ${id.index}, term: ${id.term}]`,
    );
    r.log.commitTo(s.metadata.index);
    return false;
  }
  r.log.restore(s);
  r.trk = new ProgressTracker(r.trk.maxInflightMsgs, r.trk.maxInflightBytes);
  const restored = restoreConfState({ config: r.trk.config, progress: r.trk.progress }, () => r.trk.newInflights(), r.log.lastIndex(), cs);
  switchToConfig(r, restored);
  const last = r.log.lastEntryId();
  r.logger.info(
    `${r.hexId()} [commit: ${r.log.committed}, lastindex: ${last.index}, lastterm: ${last.term}] restored snapshot [index: ${id.index}, term: ${id.term}]`,
  );
  return true;
}
