// When the Ready loop sends what: a leader's appends leave while the Ready's
// write runs; acks, votes and vote requests only once it is durable; and a
// candidate becomes leader only once its own vote is.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { HeaderFields } from '../../src/block/index.js';
import { ReadyLoop } from '../../src/chain/order/readyLoop.js';
import type { BlockApplier } from '../../src/chain/order/blockApplier.js';
import { MessageType, StateType, type Message } from '../../src/raft/index.js';
import type { DurableRaftStorage, ReadyToPersist } from '../../src/storage/index.js';
import { drain, voterOfThree, type TestNode } from '../raft/threeVoters.js';

/** The node's storage, whose writes are held until the test releases them (a write with nothing in it is done at once). */
class HeldWrites {
  readonly #held: Array<() => void> = [];
  constructor(private readonly n: TestNode) {}

  persistReady(ready: ReadyToPersist): Promise<void> {
    if (ready.snapshot !== undefined) this.n.storage.applySnapshot(ready.snapshot);
    if (ready.entries !== undefined && ready.entries.length > 0) this.n.storage.append(ready.entries);
    if (ready.hardState !== undefined) this.n.storage.setHardState(ready.hardState);
    if ((ready.entries?.length ?? 0) === 0 && ready.hardState === undefined && ready.snapshot === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#held.push(resolve));
  }

  snapshot() {
    return this.n.storage.snapshot();
  }

  setConfState(): void {}

  get held(): number {
    return this.#held.length;
  }

  releaseAll(): void {
    for (const resolve of this.#held.splice(0)) resolve();
  }
}

const noBlocks: BlockApplier = { room: () => undefined, applyEntry: () => undefined } as unknown as BlockApplier;

function loopOf(n: TestNode): { loop: ReadyLoop; writes: HeldWrites; sent: Message[] } {
  const writes = new HeldWrites(n);
  const sent: Message[] = [];
  const loop = new ReadyLoop(n.node, writes as unknown as DurableRaftStorage, {
    send: (messages) => sent.push(...messages),
    onSoftState: () => {},
    onTerm: () => {},
    applier: noBlocks,
    onSnapshot: () => {},
    onApplied: (_index: number, _blocks: readonly HeaderFields[]) => {},
    fail: (err) => {
      throw err;
    },
    log: pino({ level: 'silent' }),
  });
  return { loop, writes, sent };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const ofType = (sent: readonly Message[], type: MessageType) => sent.filter((m) => m.type === type);

/** Node 1 elected leader of {1, 2, 3}, every message routed and every Ready persisted at once. */
function electedOne(): TestNode[] {
  const nodes = [1, 2, 3].map((id) => voterOfThree(id, 1 << 20));
  nodes[0]!.node.campaign();
  for (let queue = drain(nodes[0]!); queue.length > 0; ) {
    const m = queue.shift()!;
    nodes[m.to - 1]!.node.step(m);
    queue.push(...drain(nodes[m.to - 1]!));
  }
  expect(nodes[0]!.node.status().softState.raftState).toBe(StateType.Leader);
  return nodes;
}

describe('Ready loop: what leaves before the write', () => {
  it("sends a leader's appends while its write runs, and a follower's ack only once the follower's write is durable", async () => {
    const [one, two] = electedOne();
    const leader = loopOf(one!);
    one!.node.propose(new TextEncoder().encode('block'));
    leader.loop.kick();
    await turn();
    expect(leader.writes.held).toBe(1);
    const appends = ofType(leader.sent, MessageType.MsgApp);
    expect(appends.map((m) => m.to).sort()).toEqual([2, 3]);

    const follower = loopOf(two!);
    two!.node.step(appends.find((m) => m.to === 2)!);
    follower.loop.kick();
    await turn();
    expect(follower.writes.held).toBe(1);
    expect(ofType(follower.sent, MessageType.MsgAppResp)).toEqual([]);
    follower.writes.releaseAll();
    await turn();
    expect(ofType(follower.sent, MessageType.MsgAppResp).map((m) => m.to)).toEqual([1]);
    leader.writes.releaseAll();
    await Promise.all([leader.loop.idle(), follower.loop.idle()]);
  });

  it("sends a candidate's vote requests only once its term and vote are durable, and makes it leader only once its own vote is", async () => {
    const three = voterOfThree(3, 1 << 20);
    const { loop, writes, sent } = loopOf(three);
    three.node.campaign(); // PreVote first: nothing to write
    loop.kick();
    await turn();
    const preVote = ofType(sent, MessageType.MsgPreVote)[0]!;
    three.node.step({ ...preVote, type: MessageType.MsgPreVoteResp, from: 1, to: 3, reject: false });
    loop.kick();
    await turn();
    expect(three.node.status().softState.raftState).toBe(StateType.Candidate);
    expect(writes.held).toBe(1); // its term and its own vote
    // A vote request claims a term and a log: granted, it must not be lost with an unfinished write.
    expect(ofType(sent, MessageType.MsgVote)).toEqual([]);
    // A grant that comes in meanwhile is one of three until its own vote is on its disk.
    three.node.step({ ...preVote, type: MessageType.MsgVoteResp, from: 1, to: 3, term: three.node.status().hardState.term, reject: false });
    expect(three.node.status().softState.raftState).toBe(StateType.Candidate);
    writes.releaseAll();
    await turn();
    expect(
      ofType(sent, MessageType.MsgVote)
        .map((m) => m.to)
        .sort(),
    ).toEqual([1, 2]);
    expect(three.node.status().softState.raftState).toBe(StateType.Leader);
    writes.releaseAll();
    await turn();
    writes.releaseAll();
    await loop.idle();
  });
});
