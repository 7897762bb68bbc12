// The Ready loop of one chain: take a Ready, start its write through the
// node's group commit, send a leader's messages to its followers (appends,
// heartbeats: they write while we do), wait until durable, THEN send the
// rest (acks, votes, vote requests), apply its committed entries, advance (a
// new view of the leader is passed on before the write, but for this node's
// stepping down). One Ready in flight at a time; ticks and peer messages keep
// stepping the RawNode meanwhile (kick() is a no-op while a Ready is in
// flight: the loop picks the new work up when it comes round).

import type { Logger } from 'pino';
import type { HeaderFields } from '../../block/index.js';
import { decodeConfChange, EntryType, StateType, leavesBeforeWrite, type Entry, type Message, type RawNode, type SoftState } from '../../raft/index.js';
import type { DurableRaftStorage } from '../../storage/index.js';
import type { BlockApplier } from './blockApplier.js';

export interface ReadyLoopHost {
  send(messages: readonly Message[]): void;
  onSoftState(ss: SoftState): void;
  onTerm(term: number): void;
  readonly applier: BlockApplier;
  /** A snapshot from the leader was installed (data: its last block). */
  onSnapshot(data: Uint8Array, index: number): void;
  /**
   * After each Ready's committed entries were applied: the last applied
   * index, the headers of the blocks applied, and the term of the last
   * committed entry (0 when there was none).
   */
  onApplied(appliedIndex: number, blocks: readonly HeaderFields[], lastTerm: number): void;
  fail(err: unknown): void;
  readonly log: Logger;
}

export class ReadyLoop {
  /** Invariant: true exactly while #drain runs (set before it starts, cleared in its finally). */
  #draining = false;
  #current: Promise<void> = Promise.resolve();
  #stopped = false;
  #appliedIndex: number;
  /** Index of the last committed entry Raft was told is applied (advance()). Invariant: <= #appliedIndex. */
  #advancedIndex: number;
  /** Callers of whenAdvanced, each resolved once #advancedIndex reaches its index. */
  #advanceWaiters: { readonly index: number; readonly resolve: () => void }[] = [];
  /** The last soft state handed to the host was the leader's. */
  #leads = false;

  constructor(
    private readonly node: RawNode,
    private readonly storage: DurableRaftStorage,
    private readonly host: ReadyLoopHost,
  ) {
    this.#appliedIndex = storage.snapshot().metadata.index;
    this.#advancedIndex = this.#appliedIndex;
  }

  /**
   * Resolves once Raft was told (advance) that the entries up to `index` are
   * applied. The log may be compacted only up to there: Raft reads its
   * unapplied entries (a campaign scans them for conf changes) and asserts
   * they exist. Never resolves if the loop stops first.
   */
  whenAdvanced(index: number): Promise<void> {
    if (index <= this.#advancedIndex) return Promise.resolve();
    return new Promise((resolve) => this.#advanceWaiters.push({ index, resolve }));
  }

  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Processes Readies if there are any and none is in flight. */
  kick(): void {
    if (this.#draining || this.#stopped || !this.node.hasReady()) return;
    this.#draining = true;
    this.#current = this.#drain();
  }

  /** Stops taking Readies; resolves when the one in flight (if any) is done. */
  idle(): Promise<void> {
    this.#stopped = true;
    return this.#current;
  }

  async #drain(): Promise<void> {
    try {
      while (!this.#stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        const durable = this.storage.persistReady({ entries: rd.entries, hardState: rd.hardState, snapshot: rd.snapshot });
        // Awaited below; should a send before that throw, the loop halts and the write's own failure must not go unhandled.
        durable.catch(() => {});
        if (rd.hardState !== undefined) this.host.onTerm(rd.hardState.term);
        // Every soft state but the end of this node's leadership is taken
        // before the write. A follower learning or losing the leader is
        // volatile and decides nothing Raft persists: its forwards go to a new
        // leader one disk sync sooner. A new leader's term and vote are durable
        // already and its empty entry is in the log (persistReady put it there),
        // so "serve once applied up to the last index" includes it; and it must
        // lead before its first append leaves, for the forwards its followers
        // send as soon as that append tells them who leads. Stepping down is
        // taken after the write.
        const soft = rd.softState;
        const softBeforeWrite = soft !== undefined && !this.#leads;
        if (softBeforeWrite) this.host.onSoftState(soft);
        // A leader's appends overlap its own write (leavesBeforeWrite): its
        // followers write a new block while it does, and it counts its own
        // copy only on advance(), after the write.
        const { beforeWrite, afterWrite } = splitAtWrite(rd.messages);
        if (beforeWrite.length > 0) this.host.send(beforeWrite);
        await durable;
        if (this.#stopped) return;
        if (soft !== undefined && !softBeforeWrite) this.host.onSoftState(soft);
        if (soft !== undefined) this.#leads = soft.raftState === StateType.Leader;
        if (afterWrite.length > 0) this.host.send(afterWrite);
        if (rd.snapshot !== undefined && rd.snapshot.metadata.index > 0) {
          this.#appliedIndex = rd.snapshot.metadata.index;
          this.host.onSnapshot(rd.snapshot.data, rd.snapshot.metadata.index);
        }
        const blocks = await this.#apply(rd.committedEntries);
        if (this.#stopped) return;
        this.node.advance(rd);
        this.#advanced(this.#appliedIndex);
        this.host.onApplied(this.#appliedIndex, blocks, rd.committedEntries[rd.committedEntries.length - 1]?.term ?? 0);
      }
    } catch (err) {
      this.host.fail(err);
    } finally {
      this.#draining = false;
    }
  }

  #advanced(index: number): void {
    this.#advancedIndex = index;
    if (this.#advanceWaiters.length === 0) return;
    const due = this.#advanceWaiters.filter((w) => w.index <= index);
    this.#advanceWaiters = this.#advanceWaiters.filter((w) => w.index > index);
    for (const w of due) w.resolve();
  }

  async #apply(entries: readonly Entry[]): Promise<HeaderFields[]> {
    const blocks: HeaderFields[] = [];
    for (const entry of entries) {
      if (entry.type === EntryType.Normal) {
        const room = this.host.applier.room();
        if (room !== undefined) await room;
        const header = this.host.applier.applyEntry(entry);
        if (header !== undefined) blocks.push(header);
      } else {
        const cs = this.node.applyConfChange(decodeConfChange(entry.data));
        this.storage.setConfState(cs);
        this.host.log.info({ index: entry.index, voters: cs.voters, learners: cs.learners }, 'membership change applied');
      }
      this.#appliedIndex = entry.index;
    }
    return blocks;
  }
}

/** A Ready's messages: those that may leave while its write runs, and those that wait for it. */
function splitAtWrite(messages: readonly Message[]): { beforeWrite: readonly Message[]; afterWrite: readonly Message[] } {
  let early = 0;
  for (const m of messages) if (leavesBeforeWrite(m.type)) early++;
  if (early === messages.length) return { beforeWrite: messages, afterWrite: [] };
  if (early === 0) return { beforeWrite: [], afterWrite: messages };
  return { beforeWrite: messages.filter((m) => leavesBeforeWrite(m.type)), afterWrite: messages.filter((m) => !leavesBeforeWrite(m.type)) };
}
