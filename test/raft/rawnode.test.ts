// RawNode behaviour through its public API, on a tiny synchronous network.
import { describe, expect, it } from 'vitest';
import {
  seededRandom,
  ConfChangeType,
  decodeConfChange,
  EntryType,
  MemoryStorage,
  MessageType,
  ProgressState,
  ProposalDroppedError,
  RaftAssertionError,
  type RaftError,
  RawNode,
  StateType,
  emptyConfState,
  type Message,
  type RaftConfig,
} from '../../src/raft/index.js';

interface Member {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
  readonly applied: string[];
}

/** N voters bootstrapped from a snapshot at index 1; messages are delivered in rounds until quiet. */
class Cluster {
  readonly members = new Map<number, Member>();
  inbox: Message[] = [];
  /** Messages to these ids are dropped (a partition). */
  readonly isolated = new Set<number>();
  /** Further messages to drop (a lossy link). */
  dropIf: (m: Message) => boolean = () => false;

  constructor(ids: number[], opts: Partial<RaftConfig> = {}) {
    for (const id of ids) this.add(id, ids, opts);
  }

  add(id: number, voters: number[], opts: Partial<RaftConfig> = {}): Member {
    const storage = new MemoryStorage();
    // No voters = a joining node: empty log and membership, to be caught up by the leader.
    if (voters.length > 0) {
      storage.applySnapshot({ data: new Uint8Array(), metadata: { index: 1, term: 1, confState: { ...emptyConfState, voters } } });
    }
    const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, applied: voters.length > 0 ? 1 : 0, random: seededRandom(id), ...opts });
    const m = { node, storage, applied: [] };
    this.members.set(id, m);
    return m;
  }

  get(id: number): Member {
    return this.members.get(id)!;
  }

  /** Runs Ready loops and delivers messages until nothing is left (bounded). */
  settle(): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const [, m] of this.members) {
        while (m.node.hasReady()) {
          busy = true;
          const rd = m.node.ready();
          if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
          m.storage.append(rd.entries);
          if (rd.hardState) m.storage.setHardState(rd.hardState);
          this.inbox.push(...rd.messages);
          for (const e of rd.committedEntries) {
            if (e.type === EntryType.ConfChange) m.node.applyConfChange(decodeConfChange(e.data));
            else if (e.data.length > 0) m.applied.push(new TextDecoder().decode(e.data));
          }
          m.node.advance(rd);
        }
      }
      const batch = this.inbox;
      this.inbox = [];
      for (const msg of batch) {
        if (this.isolated.has(msg.to) || this.isolated.has(msg.from) || !this.members.has(msg.to) || this.dropIf(msg)) continue;
        busy = true;
        this.get(msg.to).node.step(msg);
      }
      if (!busy) return;
    }
    throw new Error('cluster did not settle in 1000 rounds');
  }

  leaderIds(): number[] {
    return [...this.members].filter(([, m]) => m.node.status().softState.raftState === StateType.Leader).map(([id]) => id);
  }

  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const [, m] of this.members) m.node.tick();
      this.settle();
    }
  }
}

const text = (s: string) => new TextEncoder().encode(s);

describe('RawNode', () => {
  it('validates its config with errors that name the option', () => {
    const storage = new MemoryStorage();
    const attempt = (c: Partial<RaftConfig>) => () => new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(1), ...c });
    expect(attempt({ id: 0 })).toThrow(/config\.id/);
    expect(attempt({ electionTick: 1 })).toThrow(/config\.electionTick \(1\) must be greater than config\.heartbeatTick/);
    expect(attempt({ maxInflightMsgs: 0 })).toThrow(/config\.maxInflightMsgs/);
    expect(attempt({ electionJitterTicks: 0 })).toThrow(/config\.electionJitterTicks must be a positive integer, got 0/);
    try {
      attempt({ heartbeatTick: -1 })();
    } catch (err) {
      expect((err as RaftError).code).toBe('invalid-config');
    }
  });

  it("draws election timeouts in [electionTick, electionTick + electionJitterTicks), etcd's [electionTick, 2 * electionTick) by default", () => {
    /** Ticks a follower without a leader waits before it campaigns, for 80 random sources. */
    const timeouts = (opts: Partial<RaftConfig>) => {
      const seen = new Set<number>();
      for (let seed = 1; seed <= 80; seed++) {
        const c = new Cluster([1, 2, 3], { ...opts, random: seededRandom(seed) });
        c.isolated.add(1);
        const node = c.get(1).node;
        let ticks = 0;
        while (node.status().softState.raftState === StateType.Follower && ticks < 100) {
          node.tick();
          ticks++;
        }
        seen.add(ticks);
      }
      return [...seen].sort((a, b) => a - b);
    };
    expect(timeouts({ electionJitterTicks: 3 })).toEqual([10, 11, 12]);
    expect(timeouts({})).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('elects the campaigner, replicates a forwarded proposal and applies it everywhere', () => {
    const c = new Cluster([1, 2, 3]);
    c.get(1).node.campaign();
    c.settle();
    expect(c.leaderIds()).toEqual([1]);
    c.get(2).node.propose(text('forwarded'));
    c.settle();
    for (const id of [1, 2, 3]) expect(c.get(id).applied).toEqual(['forwarded']);
    const st = c.get(1).node.status();
    expect(st.progress?.get(3)?.state).toBe(ProgressState.Replicate);
    expect(c.get(2).node.status().progress).toBeUndefined();
  });

  it("basicStatus is a leader's status without the members' progress", () => {
    const c = new Cluster([1, 2, 3]);
    c.get(1).node.campaign();
    c.settle();
    const full = c.get(1).node.status();
    const basic = c.get(1).node.basicStatus();
    expect(full.progress?.size).toBe(3);
    expect(basic.progress).toBeUndefined();
    expect({ ...basic, progress: full.progress }).toEqual(full);
  });

  it('drops a proposal without a leader with ProposalDroppedError', () => {
    const c = new Cluster([1, 2, 3]);
    expect(() => c.get(1).node.propose(text('x'))).toThrow(ProposalDroppedError);
  });

  it('drops a proposal on a follower when forwarding is disabled', () => {
    const c = new Cluster([1, 2, 3], { disableProposalForwarding: true });
    c.get(1).node.campaign();
    c.settle();
    expect(() => c.get(2).node.propose(text('x'))).toThrow(ProposalDroppedError);
  });

  it('refuses local message types and responses from unknown peers', () => {
    const c = new Cluster([1, 2, 3]);
    const base: Message = { type: MessageType.MsgHup, to: 1, from: 2, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
    expect(() => c.get(1).node.step(base)).toThrow(expect.objectContaining({ code: 'step-local-msg' }));
    expect(() => c.get(1).node.step({ ...base, type: MessageType.MsgAppResp, from: 9, term: 1 })).toThrow(
      expect.objectContaining({ code: 'step-peer-not-found' }),
    );
  });

  it('refuses ready() twice without advance()', () => {
    const c = new Cluster([1]);
    c.get(1).node.campaign();
    c.get(1).node.ready();
    expect(() => c.get(1).node.ready()).toThrow(/advance/);
  });

  it('elects a leader by ticks alone, deterministically for the same seeds', () => {
    const run = () => {
      const c = new Cluster([1, 2, 3]);
      let ticks = 0;
      while (c.leaderIds().length === 0 && ticks < 100) {
        c.tickAll(1);
        ticks++;
      }
      return { leaders: c.leaderIds(), ticks };
    };
    const a = run();
    expect(a.leaders).toHaveLength(1);
    expect(a.ticks).toBeGreaterThanOrEqual(10); // not before the minimum election timeout
    expect(run()).toEqual(a);
  });

  it('transfers leadership to an up-to-date follower', () => {
    const c = new Cluster([1, 2, 3]);
    c.get(1).node.campaign();
    c.settle();
    c.get(1).node.transferLeadership(3);
    c.settle();
    expect(c.leaderIds()).toEqual([3]);
    expect(c.get(1).node.status().softState.lead).toBe(3);
  });

  it('a leader without a quorum steps down with checkQuorum', () => {
    const c = new Cluster([1, 2, 3], { checkQuorum: true });
    c.get(1).node.campaign();
    c.settle();
    c.isolated.add(1);
    for (let i = 0; i < 20; i++) {
      c.get(1).node.tick();
      c.settle();
    }
    expect(c.get(1).node.status().softState.raftState).toBe(StateType.Follower);
  });

  it('a removed leader steps down with stepDownOnRemoval, and the rest elect a new one', () => {
    const c = new Cluster([1, 2, 3], { stepDownOnRemoval: true });
    c.get(1).node.campaign();
    c.settle();
    c.get(1).node.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1 });
    c.settle();
    expect(c.get(1).node.status().softState.raftState).toBe(StateType.Follower);
    expect(c.get(2).node.status().config.voters).toEqual([2, 3]);
    c.members.delete(1);
    c.tickAll(30);
    expect(c.leaderIds()).toHaveLength(1);
  });

  it('refuses joint consensus (ConfChangeV2 with two changes)', () => {
    const c = new Cluster([1]);
    c.get(1).node.campaign();
    c.settle();
    expect(() =>
      c.get(1).node.proposeConfChangeV2([
        { type: ConfChangeType.AddNode, nodeId: 2 },
        { type: ConfChangeType.AddNode, nodeId: 3 },
      ]),
    ).toThrow(expect.objectContaining({ code: 'conf-change-unsupported' }));
  });

  it('catches a new member up with a snapshot when the log is compacted, then resumes probing on reportSnapshot', () => {
    const c = new Cluster([1, 2]);
    c.get(1).node.campaign();
    c.settle();
    for (let i = 0; i < 5; i++) c.get(1).node.propose(text(`e${i}`));
    c.settle();
    const leader = c.get(1);
    const joiner = c.add(3, []);
    c.isolated.add(3);
    leader.node.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 3 });
    c.settle();
    // The application snapshots the applied state (membership included) and compacts the log.
    const applied = leader.node.status().applied;
    leader.storage.createSnapshot(applied, leader.node.status().config, text('state'));
    leader.storage.compact(applied);
    c.isolated.delete(3);
    // Lose the joiner's ack of the snapshot: only reportSnapshot can tell the leader.
    c.dropIf = (m) => m.from === 3 && m.type === MessageType.MsgAppResp;
    c.tickAll(1);
    expect(leader.node.status().progress!.get(3)!.state).toBe(ProgressState.Snapshot);
    expect(joiner.storage.snapshot().metadata.index).toBe(applied);
    expect(Array.from(joiner.storage.snapshot().data)).toEqual(Array.from(text('state')));
    leader.node.reportSnapshot(3, 'finish');
    expect(leader.node.status().progress!.get(3)!.state).toBe(ProgressState.Probe);
    c.dropIf = () => false;
    c.tickAll(3);
    expect(leader.node.status().progress!.get(3)!.state).toBe(ProgressState.Replicate);
    expect(joiner.storage.lastIndex()).toBe(leader.storage.lastIndex());
  });

  it('reportUnreachable moves a replicating follower back to probing', () => {
    const c = new Cluster([1, 2, 3]);
    c.get(1).node.campaign();
    c.settle();
    expect(c.get(1).node.status().progress!.get(2)!.state).toBe(ProgressState.Replicate);
    c.get(1).node.reportUnreachable(2);
    expect(c.get(1).node.status().progress!.get(2)!.state).toBe(ProgressState.Probe);
  });

  it('bounds the entry bytes of each MsgApp by maxSizePerMsg (at least one entry)', () => {
    const c = new Cluster([1, 2], { maxSizePerMsg: 2500 });
    c.get(1).node.campaign();
    c.settle();
    c.isolated.add(2);
    for (let i = 0; i < 10; i++) c.get(1).node.propose(new Uint8Array(1024));
    c.settle();
    c.isolated.delete(2);
    const sizes: number[] = [];
    c.dropIf = (m) => {
      if (m.type === MessageType.MsgApp && m.entries.length > 0) sizes.push(m.entries.reduce((n, e) => n + e.data.length, 0));
      return false;
    };
    c.tickAll(3);
    expect(c.get(2).storage.lastIndex()).toBe(c.get(1).storage.lastIndex());
    expect(sizes.length).toBeGreaterThan(1);
    for (const bytes of sizes) expect(bytes).toBeLessThanOrEqual(2500);
  });

  it('keeps at most maxInflightMsgs unacknowledged MsgApp per follower', () => {
    const c = new Cluster([1, 2, 3], { maxInflightMsgs: 2 });
    c.get(1).node.campaign();
    c.settle();
    let appsTo2 = 0;
    c.dropIf = (m) => {
      if (m.type === MessageType.MsgApp && m.to === 2 && m.entries.length > 0) appsTo2++;
      return m.from === 2; // node 2 never acknowledges
    };
    for (let i = 0; i < 6; i++) c.get(1).node.propose(text(`p${i}`));
    c.settle();
    expect(appsTo2).toBe(2);
    const pr = c.get(1).node.status().progress!.get(2)!;
    expect(pr.inflights.full()).toBe(true);
    expect(c.get(3).applied).toHaveLength(6); // the quorum is 1 and 3
  });

  it('drops proposals beyond maxUncommittedEntriesSize until entries commit', () => {
    const c = new Cluster([1, 2, 3], { maxUncommittedEntriesSize: 3000 });
    c.get(1).node.campaign();
    c.settle();
    c.isolated.add(2).add(3);
    c.get(1).node.propose(new Uint8Array(1024));
    c.get(1).node.propose(new Uint8Array(1024));
    expect(() => c.get(1).node.propose(new Uint8Array(1024))).toThrow(ProposalDroppedError);
    c.isolated.clear();
    c.tickAll(2);
    c.get(1).node.propose(new Uint8Array(1024));
  });

  it('asserts the 2^53 bound on terms instead of losing precision', () => {
    const storage = new MemoryStorage();
    storage.applySnapshot({ data: new Uint8Array(), metadata: { index: 1, term: 1, confState: { ...emptyConfState, voters: [1] } } });
    storage.setHardState({ term: Number.MAX_SAFE_INTEGER, vote: 0, commit: 1 });
    const node = new RawNode({ id: 1, electionTick: 10, heartbeatTick: 1, storage, random: seededRandom(1) });
    expect(() => node.campaign()).toThrow(RaftAssertionError);
  });
});
