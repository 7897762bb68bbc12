import { campaign, poll } from './election.js';
import { ProposalDroppedError } from './errors.js';
import { handleAppendEntries, handleHeartbeat, handleSnapshot } from './follower.js';
import { VoteResult } from './quorum.js';
import type { Raft } from './raft.js';
import { stateName, StateType } from './state.js';
import { MessageType, type Message } from './types.js';

/** Candidate and pre-candidate: count votes; a leader's message of our term ends the election. */
export function stepCandidate(r: Raft, m: Message): void {
  const myVoteResp = r.state === StateType.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
  switch (m.type) {
    case MessageType.MsgProp:
      r.logger.info(`${r.hexId()} no leader at term ${r.term}; dropping proposal`);
      throw new ProposalDroppedError(`raft proposal dropped: ${r.hexId()} has no leader at term ${r.term}`);
    case MessageType.MsgApp:
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return;
    case MessageType.MsgHeartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case MessageType.MsgSnap:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case myVoteResp: {
      const { granted, rejected, result } = poll(r, m.from, m.type, !m.reject);
      r.logger.info(`${r.hexId()} has received ${granted} ${MessageType[m.type]} votes and ${rejected} vote rejections`);
      if (result === VoteResult.Won) {
        if (r.state === StateType.PreCandidate) campaign(r, 'CampaignElection');
        else r.winElection();
      } else if (result === VoteResult.Lost) {
        // A pre-candidate keeps its term: becomeFollower(term) is a no-op on it.
        r.becomeFollower(r.term, 0);
      }
      return;
    }
    case MessageType.MsgTimeoutNow:
      r.logger.debug(`${r.hexId()} [term ${r.term} state ${stateName(r.state)}] ignored MsgTimeoutNow from ${m.from.toString(16)}`);
      return;
    default:
      return;
  }
}
