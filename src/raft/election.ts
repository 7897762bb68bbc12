// Elections: starting one (hup, campaign), counting votes (poll) and
// deciding whether to grant a vote (handleVoteRequest).
import { assert } from './assert.js';
import { voteRespType, type MessageFields } from './message.js';
import { sortedIds, type VoteResult } from './quorum.js';
import type { CampaignType, Raft } from './raft.js';
import { StateType } from './state.js';
import { EntryType, MessageType, type Message } from './types.js';

const transferContext = new TextEncoder().encode('CampaignTransfer');

/** Whether a vote request comes from a leader transfer (it may then bypass the CheckQuorum lease). */
export function isTransferContext(ctx: Uint8Array | undefined): boolean {
  return ctx !== undefined && ctx.length === transferContext.length && ctx.every((b, i) => b === transferContext[i]);
}

/** Starts an election unless we lead already, cannot lead, or a conf change is pending. */
export function hup(r: Raft, t: CampaignType): void {
  if (r.state === StateType.Leader) {
    r.logger.debug(`${r.hexId()} ignoring MsgHup because already leader`);
    return;
  }
  if (!r.promotable()) {
    r.logger.warn(`${r.hexId()} is unpromotable and can not campaign`);
    return;
  }
  if (hasUnappliedConfChanges(r)) {
    r.logger.warn(`${r.hexId()} cannot campaign at term ${r.term} since there are still pending configuration changes to apply`);
    return;
  }
  r.logger.info(`${r.hexId()} is starting a new election at term ${r.term}`);
  campaign(r, t);
}

/** Bytes read per page when scanning unapplied entries (bounds the memory of the scan). */
const scanPageBytes = 1 << 20;

/**
 * A committed but unapplied conf change may change who votes: campaigning
 * before it is applied could use the wrong quorum.
 */
function hasUnappliedConfChanges(r: Raft): boolean {
  const hi = r.log.committed + 1;
  for (let lo = r.log.applied + 1; lo < hi; ) {
    const page = r.log.slice(lo, hi, scanPageBytes);
    assert(page !== undefined && page.length > 0, () => `unapplied entries [${lo}, ${hi}) were compacted`);
    if (page.some((e) => e.type !== EntryType.Normal)) return true;
    lo += page.length;
  }
  return false;
}

/** Becomes (pre-)candidate and asks every voter, sorted by id; our own vote is a message to self. */
export function campaign(r: Raft, t: CampaignType): void {
  let term: number;
  let voteType: MessageType;
  if (t === 'CampaignPreElection') {
    r.becomePreCandidate();
    voteType = MessageType.MsgPreVote;
    // A pre-vote asks "would you vote for me at the next term?" without bumping ours.
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    voteType = MessageType.MsgVote;
    term = r.term;
  }
  for (const id of sortedIds(r.trk.config.voters)) {
    if (id === r.id) {
      r.send({ to: id, term, type: voteRespType(voteType) });
      continue;
    }
    const last = r.log.lastEntryId();
    r.logger.info(`${r.hexId()} [logterm: ${last.term}, index: ${last.index}] sent ${MessageType[voteType]} request to ${id.toString(16)} at term ${r.term}`);
    const f: MessageFields = { to: id, term, type: voteType, index: last.index, logTerm: last.term };
    if (t === 'CampaignTransfer') f.context = transferContext;
    r.send(f);
  }
}

/** Records a vote (only the first per voter counts) and tallies the election. */
export function poll(r: Raft, id: number, t: MessageType, granted: boolean): { granted: number; rejected: number; result: VoteResult } {
  r.logger.info(`${r.hexId()} received ${MessageType[t]}${granted ? '' : ' rejection'} from ${id.toString(16)} at term ${r.term}`);
  r.trk.recordVote(id, granted);
  return r.trk.tallyVotes();
}

/** Grants or rejects a MsgVote/MsgPreVote whose term rules Raft.step already checked. */
export function handleVoteRequest(r: Raft, m: Message): void {
  // We can vote if we already voted for this candidate, or have neither voted
  // nor heard from a leader this term; a pre-vote for a future term is free.
  const canVote = r.vote === m.from || (r.vote === 0 && r.lead === 0) || (m.type === MessageType.MsgPreVote && m.term > r.term);
  const last = r.log.lastEntryId();
  const what = `[logterm: ${last.term}, index: ${last.index}, vote: ${r.vote.toString(16)}]`;
  const cand = `${m.from.toString(16)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`;
  if (canVote && r.log.isUpToDate({ term: m.logTerm, index: m.index })) {
    r.logger.info(`${r.hexId()} ${what} cast ${MessageType[m.type]} for ${cand}`);
    // The response carries the candidate's term, even for a pre-vote at a future term.
    r.send({ to: m.from, term: m.term, type: voteRespType(m.type) });
    if (m.type === MessageType.MsgVote) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.logger.info(`${r.hexId()} ${what} rejected ${MessageType[m.type]} from ${cand}`);
    r.send({ to: m.from, term: r.term, type: voteRespType(m.type), reject: true });
  }
}
