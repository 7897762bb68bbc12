// A leader probing a follower that answers heartbeats in batches (slow to
// persist, just restarted under load) must not send the probe's entries once
// per heartbeat response: each copy is up to maxSizePerMsg, and on the shared
// cluster stream the flood held the follower's heartbeats (and other channels)
// behind it for seconds.
import { describe, expect, it } from 'vitest';
import { drain, type TestNode, voterOfThree } from './threeVoters.js';
import { MessageType, ProgressState, StateType, type Message } from '../../src/raft/index.js';

const MAX_SIZE_PER_MSG = 64 * 1024;

const node = (id: number): TestNode => voterOfThree(id, MAX_SIZE_PER_MSG);

/** Three voters, 1 leading; 3 is cut off while 40 entries of 16 KiB commit through 1 and 2; 1 then probes 3. */
function leaderProbingLaggard(): { leader: ReturnType<typeof node>; term: number; lastIndex: number } {
  const nodes = new Map([1, 2, 3].map((id) => [id, node(id)]));
  let cutOff3 = false;
  const settle = (): void => {
    for (let round = 0; round < 200; round++) {
      const inbox = [...nodes.values()].flatMap(drain);
      const deliverable = inbox.filter((m) => !(cutOff3 && (m.to === 3 || m.from === 3)));
      if (deliverable.length === 0) return;
      for (const m of deliverable) nodes.get(m.to)!.node.step(m);
    }
    throw new Error('did not settle');
  };
  const leader = nodes.get(1)!;
  leader.node.campaign();
  settle();
  expect(leader.node.status().softState.raftState).toBe(StateType.Leader);
  cutOff3 = true;
  for (let i = 0; i < 40; i++) {
    leader.node.propose(new Uint8Array(16 * 1024).fill(i));
    settle();
  }
  // The stream to 3 broke (as the transport reports on a restart): back to probing from its match.
  leader.node.reportUnreachable(3);
  const status = leader.node.status();
  expect(status.progress!.get(3)!.state).toBe(ProgressState.Probe);
  return { leader, term: status.hardState.term, lastIndex: status.hardState.commit };
}

describe('leader probing a follower that answers heartbeats in a batch', () => {
  it('sends the probe entries once, and an empty probe for each further heartbeat response', () => {
    const { leader, term, lastIndex } = leaderProbingLaggard();
    const heartbeatResponse: Message = {
      type: MessageType.MsgHeartbeatResp,
      to: 1,
      from: 3,
      term,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
    };
    // Ten heartbeat responses arriving together: the follower persisted slowly and answered them at once.
    for (let i = 0; i < 10; i++) leader.node.step({ ...heartbeatResponse });
    const appends = drain(leader).filter((m) => m.to === 3 && m.type === MessageType.MsgApp);
    const withEntries = appends.filter((m) => m.entries.length > 0);
    const entryBytes = withEntries.reduce((sum, m) => sum + m.entries.reduce((s, e) => s + e.data.length, 0), 0);
    expect(withEntries).toHaveLength(1);
    expect(entryBytes).toBeLessThanOrEqual(MAX_SIZE_PER_MSG);
    expect(appends.length).toBe(10);
    // Each probe asks at the same index: the follower's answer to any of them resumes replication.
    expect(new Set(appends.map((m) => m.index)).size).toBe(1);

    // The follower answers the probe (it had everything up to the probe's index): replication resumes.
    const probe = appends[0]!;
    leader.node.step({ ...heartbeatResponse, type: MessageType.MsgAppResp, index: probe.index + probe.entries.length });
    const after = drain(leader).filter((m) => m.to === 3 && m.type === MessageType.MsgApp);
    expect(leader.node.status().progress!.get(3)!.state).toBe(ProgressState.Replicate);
    expect(after.some((m) => m.entries.length > 0)).toBe(true);
    expect(Math.max(...after.map((m) => m.index + m.entries.length))).toBeLessThanOrEqual(lastIndex + 1);
  });

  it('still recovers a lost probe: the follower answers the empty probe and the entries follow', () => {
    const { leader, term } = leaderProbingLaggard();
    const response = (type: MessageType, extra: Partial<Message> = {}): Message => ({
      type,
      to: 1,
      from: 3,
      term,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
      ...extra,
    });
    leader.node.step(response(MessageType.MsgHeartbeatResp));
    const [lost] = drain(leader).filter((m) => m.to === 3 && m.type === MessageType.MsgApp);
    expect(lost!.entries.length).toBeGreaterThan(0);
    // The probe never arrived; the next heartbeat response sends an empty probe at the same index.
    leader.node.step(response(MessageType.MsgHeartbeatResp));
    const [empty] = drain(leader).filter((m) => m.to === 3 && m.type === MessageType.MsgApp);
    expect(empty!.entries).toHaveLength(0);
    expect(empty!.index).toBe(lost!.index);
    // The follower has the entry at that index (the lost probe would have extended it): it accepts; entries follow.
    leader.node.step(response(MessageType.MsgAppResp, { index: empty!.index }));
    const retry = drain(leader).filter((m) => m.to === 3 && m.type === MessageType.MsgApp);
    expect(leader.node.status().progress!.get(3)!.state).toBe(ProgressState.Replicate);
    expect(retry[0]!.index).toBe(lost!.index);
    expect(retry[0]!.entries.length).toBeGreaterThan(0);
  });
});
