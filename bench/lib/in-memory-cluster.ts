// A Raft cluster in one process for benchmarks: RawNodes over MemoryStorage,
// messages handed from node to node in memory, no ticks, no faults. It runs
// the Ready loop exactly as an application must (persist, then send, then
// apply, then advance), so what it measures is the core's cost per commit.

import assert from 'node:assert/strict';
import { MemoryStorage, RawNode, StateType, seededRandom } from '../../src/raft/index.js';
import type { ConfState, Message } from '../../src/raft/index.js';

export interface InMemoryClusterOptions {
  readonly size: number;
  /** Bytes of entry data per MsgApp (Infinity: no limit). */
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  /** Snapshot and compact a node's log once this many applied entries sit in it. */
  readonly compactEveryEntries: number;
}

interface BenchNode {
  readonly id: number;
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
  /** Index of the last applied entry. */
  applied: number;
}

/** Rounds of Ready-then-deliver before `pump` decides the cluster is not settling. */
const pumpRoundsMax = 10_000;
const emptyData = new Uint8Array(0);

export class InMemoryCluster {
  readonly #nodes: BenchNode[] = [];
  readonly #options: InMemoryClusterOptions;
  #inbox: Message[] = [];

  constructor(options: InMemoryClusterOptions) {
    assert.ok(options.size >= 1, 'size must be >= 1');
    this.#options = options;
    const voters = Array.from({ length: options.size }, (_, i) => i + 1);
    const confState: ConfState = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const id of voters) {
      const storage = new MemoryStorage();
      storage.applySnapshot({ data: emptyData, metadata: { confState, index: 0, term: 0 } });
      const raw = new RawNode({
        id,
        electionTick: 10,
        heartbeatTick: 1,
        storage,
        random: seededRandom(id),
        maxSizePerMsg: options.maxSizePerMsg,
        maxInflightMsgs: options.maxInflightMsgs,
      });
      this.#nodes.push({ id, raw, storage, applied: 0 });
    }
  }

  /** Makes node 1 campaign and runs until it leads. */
  electLeader(): void {
    this.#node(1).raw.campaign();
    this.pump();
    assert.equal(this.#node(1).raw.status().softState.raftState, StateType.Leader, 'node 1 did not become leader');
  }

  /** Applied index of the leader (node 1). */
  get leaderApplied(): number {
    return this.#node(1).applied;
  }

  /** The lowest applied index over all nodes. */
  get minApplied(): number {
    let min = Infinity;
    for (const n of this.#nodes) min = Math.min(min, n.applied);
    return min;
  }

  propose(data: Uint8Array): void {
    this.#node(1).raw.propose(data);
  }

  /** Runs Ready loops and deliveries until no node has work and no message is in flight. */
  pump(): void {
    for (let round = 0; round < pumpRoundsMax; round++) {
      for (const n of this.#nodes) this.#drainReady(n);
      if (this.#inbox.length === 0) return;
      const batch = this.#inbox;
      this.#inbox = [];
      for (const m of batch) this.#node(m.to).raw.step(m);
    }
    assert.fail(`cluster did not settle within ${pumpRoundsMax} rounds`);
  }

  #drainReady(n: BenchNode): void {
    while (n.raw.hasReady()) {
      const rd = n.raw.ready();
      if (rd.snapshot !== undefined && rd.snapshot.metadata.index > 0) {
        n.storage.applySnapshot(rd.snapshot);
        n.applied = rd.snapshot.metadata.index;
      }
      n.storage.append(rd.entries);
      if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
      for (const m of rd.messages) this.#inbox.push(m);
      const last = rd.committedEntries.at(-1);
      if (last !== undefined) n.applied = last.index;
      n.raw.advance(rd);
      this.#maybeCompact(n);
    }
  }

  /** Bounds memory over a long run, as an orderer's snapshot interval does. */
  #maybeCompact(n: BenchNode): void {
    if (n.applied - n.storage.snapshot().metadata.index < this.#options.compactEveryEntries) return;
    n.storage.createSnapshot(n.applied, undefined, emptyData);
    n.storage.compact(n.applied);
  }

  #node(id: number): BenchNode {
    const n = this.#nodes[id - 1];
    assert.ok(n !== undefined, `no node ${id}`);
    return n;
  }
}
