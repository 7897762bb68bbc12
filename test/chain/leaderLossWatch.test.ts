// LeaderLossWatch on its own, over a scripted Raft node: who campaigns when,
// after the stream to the leader closed.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderLossWatch, type LeaderLossCause } from '../../src/chain/liveness/leaderLoss.js';
import { MessageType, StateType, emptyConfState, type Message, type RawNode } from '../../src/raft/index.js';
import { ManualClock } from './manualClock.js';

function setUp(selfId: number, last = { index: 10, term: 2 }) {
  const clock = new ManualClock();
  const state = { lead: 1, raftState: StateType.Follower as StateType, campaigns: 0, forgot: 0, stepped: [] as Message[] };
  const raft = {
    status: () => ({
      softState: { lead: state.lead, raftState: state.raftState },
      hardState: { term: 2, vote: 1, commit: 10 },
      config: { ...emptyConfState, voters: [1, 2, 3] },
    }),
    forgetLeader: () => {
      state.forgot++;
      state.lead = 0;
    },
    campaign: () => {
      state.campaigns++;
      state.raftState = StateType.PreCandidate;
    },
    step: (m: Message) => {
      // A follower in its leader's lease ignores a PreVote: only a leaderless one may answer it.
      if (state.lead === 0) state.stepped.push(m);
    },
  } as unknown as RawNode;
  const causes: LeaderLossCause[] = [];
  const watch = new LeaderLossWatch(
    {
      selfId,
      log: pino({ level: 'silent' }),
      clock,
      random: () => 0.5,
      raft: () => raft,
      kick: () => undefined,
      isReachable: () => false,
      probe: () => undefined,
      countEarlyCampaign: (cause) => causes.push(cause),
      lastLog: () => last,
    },
    { enabled: true, graceMs: 40, slotMs: 500 },
  );
  return { clock, state, causes, watch };
}

const preVote = (from: number, index: number, logTerm: number): Message =>
  ({ type: MessageType.MsgPreVote, from, to: 3, term: 3, index, logTerm, commit: 0, entries: [], reject: false, rejectHint: 0, vote: 0 }) as unknown as Message;

describe('LeaderLossWatch', () => {
  it('the first surviving voter campaigns in the very turn its redial is refused, with no timer between; the next waits a slot', () => {
    const first = setUp(2);
    first.watch.onPeerLost(1);
    first.watch.onPeerLost(1); // the probe refused
    expect(first.state.forgot).toBe(1);
    expect(first.state.campaigns).toBe(1);
    expect(first.causes).toEqual(['redial_refused']);
    first.clock.advance(0);
    expect(first.state.campaigns).toBe(1);

    const second = setUp(3);
    second.watch.onPeerLost(1);
    second.clock.advance(40); // grace over, not reconnected
    expect(second.state.forgot).toBe(1);
    second.clock.advance(400);
    expect(second.state.campaigns).toBe(0);
    second.clock.advance(200);
    expect(second.state.campaigns).toBe(1);
    expect(second.causes).toEqual(['no_reconnect']);
  });

  it('the next survivor campaigns at once on a PreVote from a survivor whose log is behind its own', () => {
    const { clock, state, watch } = setUp(3, { index: 10, term: 2 });
    watch.onPeerLost(1);
    watch.onPeerLost(1);
    watch.observe(preVote(2, 8, 2));
    clock.advance(0);
    expect(state.campaigns).toBe(1);
  });

  it('a PreVote from a survivor as far along postpones its turn instead', () => {
    const { clock, state, watch } = setUp(3, { index: 10, term: 2 });
    watch.onPeerLost(1);
    watch.onPeerLost(1);
    clock.advance(400);
    watch.observe(preVote(2, 10, 2));
    clock.advance(200);
    expect(state.campaigns).toBe(0);
  });

  it('a refused PreVote is tried again every 2 graces for a slot; a known leader ends it', () => {
    const { clock, state, watch } = setUp(2);
    watch.onPeerLost(1);
    watch.onPeerLost(1);
    clock.advance(10);
    expect(state.campaigns).toBe(1);
    // Refused each time: back to a leaderless follower. 80 ms apart, for a 500 ms slot: 7 campaigns.
    for (let attempt = 2; attempt <= 7; attempt++) {
      state.raftState = StateType.Follower;
      clock.advance(80);
      expect(state.campaigns).toBe(attempt);
    }
    state.raftState = StateType.Follower;
    clock.advance(1000);
    expect(state.campaigns).toBe(7);

    const other = setUp(2);
    other.watch.onPeerLost(1);
    other.watch.onPeerLost(1);
    expect(other.state.campaigns).toBe(1);
    other.state.raftState = StateType.Follower; // refused, and then survivor 3 wins
    other.state.lead = 3;
    other.watch.onLeader(3);
    other.clock.advance(1000);
    expect(other.state.campaigns).toBe(1);
  });

  it('a PreVote ignored while the leader was still followed is answered once the leader is forgotten', () => {
    const { clock, state, watch } = setUp(3);
    const early = preVote(2, 10, 2);
    watch.observe(early); // survivor 2 saw the close first; this node still follows leader 1
    clock.advance(30);
    watch.onPeerLost(1);
    expect(state.stepped).toEqual([]);
    watch.onPeerLost(1); // the probe refused: leader 1 forgotten
    expect(state.stepped).toEqual([early]);
    clock.advance(2000);
    expect(state.stepped).toHaveLength(1); // once
  });

  it('a PreVote older than a slot, or one seen with no leader followed, is not stepped again', () => {
    const old = setUp(3);
    old.watch.observe(preVote(2, 10, 2));
    old.clock.advance(501);
    old.watch.onPeerLost(1);
    old.watch.onPeerLost(1);
    expect(old.state.stepped).toEqual([]);

    const leaderless = setUp(3);
    leaderless.state.lead = 0; // Raft answered it when it came
    leaderless.watch.observe(preVote(2, 10, 2));
    leaderless.state.lead = 1;
    leaderless.watch.onPeerLost(1);
    leaderless.watch.onPeerLost(1);
    expect(leaderless.state.stepped).toEqual([]);
  });

  it('a leader that is not the one whose stream closed is left alone', () => {
    const { clock, state, watch } = setUp(2);
    watch.onPeerLost(3);
    clock.advance(1000);
    expect(state.forgot).toBe(0);
    expect(state.campaigns).toBe(0);
  });
});
