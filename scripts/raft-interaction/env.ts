// The interaction environment: a set of RawNodes on MemoryStorage and the
// messages in flight between them, driven command by command (etcd's
// rafttest.InteractionEnv, re-designed for TypeScript).
import {
  seededRandom,
  decodeConfChange,
  describeEntries,
  describeMessage,
  describeReady,
  emptyConfState,
  EntryType,
  isEmptySnapshot,
  MemoryStorage,
  type MessageType,
  RaftError,
  RawNode,
  StorageError,
  type ConfState,
  type Entry,
  type Message,
  type RaftConfig,
  type Snapshot,
  type Storage,
} from '../../src/raft/index.js';
import { Output } from './output.js';

/**
 * MemoryStorage whose snapshot() answers the node's latest applied state
 * (etcd's snapOverrideStorage): a leader sends what it has applied.
 */
class HistoryStorage implements Storage {
  constructor(
    readonly mem: MemoryStorage,
    private readonly history: Snapshot[],
  ) {}
  initialState() {
    return this.mem.initialState();
  }
  entries(lo: number, hi: number, maxSizeBytes: number) {
    return this.mem.entries(lo, hi, maxSizeBytes);
  }
  term(i: number) {
    return this.mem.term(i);
  }
  lastIndex() {
    return this.mem.lastIndex();
  }
  firstIndex() {
    return this.mem.firstIndex();
  }
  snapshot() {
    return this.history[this.history.length - 1]!;
  }
}

export interface EnvNode {
  readonly id: number;
  readonly rawNode: RawNode;
  readonly storage: MemoryStorage;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** The applied state after each applied entry, starting with the bootstrap snapshot. */
  readonly history: Snapshot[];
}

/** Node options; add-nodes uses etcd's config stub (electionTick 3, heartbeatTick 1). */
export type NodeOptions = Omit<RaftConfig, 'id' | 'storage' | 'logger' | 'random'>;

/** etcd's error texts for the core's error codes, so outputs compare equal. */
export function describeError(err: unknown): string {
  if (err instanceof RaftError) {
    switch (err.code) {
      case 'proposal-dropped':
        return 'raft proposal dropped';
      case 'step-local-msg':
        return 'raft: cannot step raft local message';
      case 'step-peer-not-found':
        return 'raft: cannot step as peer not found';
    }
  }
  if (err instanceof StorageError) {
    switch (err.code) {
      case 'compacted':
        return 'requested index is unavailable due to compaction';
      case 'unavailable':
        return 'requested entry at index is unavailable';
      case 'snapshot-out-of-date':
        return 'requested index is older than the existing snapshot';
      case 'snapshot-temporarily-unavailable':
        return 'snapshot is temporarily unavailable';
    }
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

export class InteractionEnv {
  readonly output = new Output();
  readonly nodes: EnvNode[] = [];
  /** Messages sent and not yet delivered or dropped, in send order. */
  messages: Message[] = [];

  node(id: number): EnvNode {
    const n = this.nodes[id - 1];
    if (!n) throw new Error(`no node ${id} (have ${this.nodes.length})`);
    return n;
  }

  /** Adds `count` nodes; a non-empty `snap` bootstraps each from it (index must be > 1). */
  addNodes(count: number, opts: NodeOptions, snap: Snapshot | undefined): void {
    for (let i = 0; i < count; i++) {
      const id = this.nodes.length + 1;
      const mem = new MemoryStorage();
      const boot: Snapshot = snap ?? { data: new Uint8Array(0), metadata: { confState: emptyConfState, index: 0, term: 0 } };
      if (snap) {
        if (snap.metadata.index <= 1) throw new Error('index must be specified as > 1 due to bootstrap');
        mem.applySnapshot(snap);
      }
      const history = [boot];
      const rawNode = new RawNode({
        maxSizePerMsg: Infinity,
        maxInflightMsgs: 2 ** 31 - 1,
        ...opts,
        ...(snap ? { applied: snap.metadata.index } : {}),
        id,
        // Replayable per node: the transcripts were recorded with these draws.
        random: seededRandom(id * 2654435761),
        storage: new HistoryStorage(mem, history),
        logger: this.output.logger(),
      });
      this.nodes.push({ id, rawNode, storage: mem, electionTick: opts.electionTick, heartbeatTick: opts.heartbeatTick, history });
    }
  }

  /** Hands out one Ready, persists and applies it synchronously, queues its messages, advances. */
  processReady(id: number): void {
    const n = this.node(id);
    const rd = n.rawNode.ready();
    this.output.write(describeReady(rd));
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    if (rd.snapshot && !isEmptySnapshot(rd.snapshot)) {
      if (rd.entries.length > 0) throw new Error("can't apply snapshot and entries at the same time");
      n.storage.applySnapshot(rd.snapshot);
    } else {
      n.storage.append(rd.entries);
    }
    for (const e of rd.committedEntries) this.#apply(n, e);
    this.messages.push(...rd.messages);
    n.rawNode.advance(rd);
  }

  #apply(n: EnvNode, e: Entry): void {
    let update = e.data;
    let cs: ConfState | undefined;
    if (e.type === EntryType.ConfChange || e.type === EntryType.ConfChangeV2) {
      const cc = decodeConfChange(e.data);
      update = cc.context ?? new Uint8Array(0);
      cs = n.rawNode.applyConfChange(cc);
    }
    const last = n.history[n.history.length - 1]!;
    const data = new Uint8Array(last.data.length + update.length);
    data.set(last.data, 0);
    data.set(update, last.data.length);
    n.history.push({ data, metadata: { index: e.index, term: e.term, confState: cs ?? last.metadata.confState } });
  }

  /**
   * Delivers (or drops) the queued messages addressed to each recipient, in
   * order, printing each. `type` restricts to one message type. Returns how many.
   */
  deliverMsgs(recipients: ReadonlyArray<{ id: number; drop: boolean }>, type?: MessageType): number {
    let n = 0;
    for (const r of recipients) {
      const picked: Message[] = [];
      const rest: Message[] = [];
      for (const m of this.messages) {
        const local = m.from === m.to;
        if (m.to === r.id && !(r.drop && local) && (type === undefined || m.type === type)) picked.push(m);
        else rest.push(m);
      }
      this.messages = rest;
      n += picked.length;
      for (const m of picked) {
        this.output.write(`${r.drop ? 'dropped: ' : ''}${describeMessage(m)}\n`);
        if (r.drop) continue;
        try {
          this.node(m.to).rawNode.step(m);
        } catch (err) {
          if (err instanceof RaftError) this.output.write(`${describeError(err)}\n`);
          else throw err;
        }
      }
    }
    return n;
  }

  /** Processes Readies and delivers messages until nothing changes, for the given nodes (all if none). */
  stabilize(ids: readonly number[]): void {
    const nodes = ids.length > 0 ? ids.map((id) => this.node(id)) : this.nodes;
    const maxRounds = 10_000; // bound: a livelock is a bug, not a reason to spin forever
    for (let round = 0; ; round++) {
      if (round >= maxRounds) throw new Error(`stabilize did not converge in ${maxRounds} rounds`);
      let done = true;
      for (const n of nodes) {
        if (n.rawNode.hasReady()) {
          this.output.write(`> ${n.id} handling Ready\n`);
          this.output.withIndent(() => this.processReady(n.id));
          done = false;
        }
      }
      for (const n of nodes) {
        if (this.messages.some((m) => m.to === n.id)) {
          this.output.write(`> ${n.id} receiving messages\n`);
          this.output.withIndent(() => this.deliverMsgs([{ id: n.id, drop: false }]));
          done = false;
        }
      }
      if (done) return;
    }
  }

  raftLog(id: number): void {
    const s = this.node(id).storage;
    const fi = s.firstIndex();
    const li = s.lastIndex();
    if (li < fi) {
      this.output.write(`log is empty: first index=${fi}, last index=${li}`);
      return;
    }
    this.output.write(describeEntries(s.entries(fi, li + 1, Infinity)));
  }
}
