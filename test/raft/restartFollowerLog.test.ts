// A follower that lost its log (wiped data directory) while the leader still
// counts the entries it acknowledged: the leader forgets its match index and
// replicates it from index 1 in the same term, with no election.
import { describe, expect, it } from 'vitest';
import { drain, type TestNode, voterOfThree } from './threeVoters.js';
import { MessageType, StateType } from '../../src/raft/index.js';

const node = (id: number): TestNode => voterOfThree(id, 1024 * 1024);

describe('restartFollowerLog', () => {
  it("forgets the follower's match index and sends it the log from index 1, in the same term", () => {
    const nodes = new Map([1, 2, 3].map((id) => [id, node(id)]));
    const settle = (): void => {
      for (let round = 0; round < 200; round++) {
        const inbox = [...nodes.values()].flatMap(drain);
        if (inbox.length === 0) return;
        for (const m of inbox) nodes.get(m.to)!.node.step(m);
      }
      throw new Error('did not settle');
    };
    const leader = nodes.get(1)!.node;
    leader.campaign();
    settle();
    for (let i = 0; i < 5; i++) leader.propose(new Uint8Array([i]));
    settle();
    const term = leader.status().hardState.term;
    const lastIndex = leader.status().progress!.get(1)!.match;
    expect(leader.status().progress!.get(3)!.match).toBe(lastIndex);

    // Node 3 comes back with no log at all.
    nodes.set(3, node(3));
    leader.restartFollowerLog(3);
    expect(leader.status().progress!.get(3)!.match).toBe(0);
    // Its log starts after the snapshot at index 1: index 1 on is sent as that snapshot.
    const sent = drain(nodes.get(1)!).filter((m) => m.to === 3);
    expect(sent.map((m) => m.type)).toEqual([MessageType.MsgSnap]);
    for (const m of sent) nodes.get(3)!.node.step(m);
    settle();
    expect(leader.status().progress!.get(3)!.match).toBe(lastIndex);
    expect(nodes.get(3)!.storage.lastIndex()).toBe(lastIndex);
    expect(leader.status().softState.raftState).toBe(StateType.Leader);
    expect(leader.status().hardState.term).toBe(term);
  });

  it('is a no-op on a follower', () => {
    const follower = node(2).node;
    follower.restartFollowerLog(3);
    expect(follower.status().softState.raftState).toBe(StateType.Follower);
    expect(follower.hasReady()).toBe(false);
  });
});
