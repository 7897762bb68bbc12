// Three voters {1, 2, 3} as RawNodes over MemoryStorage, started from a
// snapshot at index 1 with CheckQuorum and PreVote, and a Ready loop that
// persists each Ready and collects its messages: for tests that route the
// messages between the nodes themselves.
import { emptyConfState, MemoryStorage, RawNode, seededRandom, type Message } from '../../src/raft/index.js';

export interface TestNode {
  readonly node: RawNode;
  readonly storage: MemoryStorage;
}

/** Voter `id` of {1, 2, 3}; `maxSizePerMsg` bounds each append. */
export function voterOfThree(id: number, maxSizePerMsg: number): TestNode {
  const storage = new MemoryStorage();
  storage.applySnapshot({ data: new Uint8Array(), metadata: { index: 1, term: 1, confState: { ...emptyConfState, voters: [1, 2, 3] } } });
  const node = new RawNode({
    id,
    electionTick: 10,
    heartbeatTick: 1,
    storage,
    applied: 1,
    maxSizePerMsg,
    maxInflightMsgs: 256,
    checkQuorum: true,
    preVote: true,
    random: seededRandom(id),
  });
  return { node, storage };
}

/** Persists and collects every Ready of `n` until it has none. */
export function drain(n: TestNode): Message[] {
  const out: Message[] = [];
  while (n.node.hasReady()) {
    const rd = n.node.ready();
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    out.push(...rd.messages);
    n.node.advance(rd);
  }
  return out;
}
