// The Ready loop of one chain: take a Ready, start its write through the
// node's group commit, send the messages that promise nothing about this
// node's disk (a leader's appends and heartbeats, a candidate's vote
// requests: followers write while we do), wait until durable, THEN send its
// acks and votes, apply its committed entries, advance (a follower's new view
// of the leader is passed on before the write: it is volatile). One Ready in
// flight at a time; ticks and peer messages keep stepping the RawNode
// meanwhile (kick() is a no-op while a Ready is in flight: the loop picks the
// new work up when it comes round).

import type { Logger } from 'pino';
import type { HeaderFields } from '../../block/index.js';
import { decodeConfChange, EntryType, StateType, waitsForDurability, type Entry, type Message, type RawNode, type SoftState } from '../../raft/index.js';
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
        if (rd.hardState !== undefined) this.host.onTerm(rd.hardState.term);
        // A soft state that neither starts nor ends this node's leadership (a
        // follower learning or losing the leader) is volatile and decides nothing
        // Raft persists: the chain learns it before the write, so its forwards
        // go to a new leader one disk sync sooner.
        const soft = rd.softState;
        const softBeforeWrite = soft !== undefined && !this.#leads && soft.raftState !== StateType.Leader;
        if (softBeforeWrite) this.host.onSoftState(soft);
        // Raft counts this node's own ack and vote only on advance(), after the
        // write (waitsForDurability), so requests may overlap it: a follower
        // writes a new block, or a voter its vote, while this node does.
        const { beforeWrite, afterWrite } = splitByDurability(rd.messages);
        if (beforeWrite.length > 0) this.host.send(beforeWrite);
        await durable;
        if (this.#stopped) return;
        // A leadership change after the write: a new leader's empty entry is
        // then in the log, and "serve once applied up to the last index" includes it.
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

/** A Ready's messages: those that may leave while its write runs, and the acks and votes that wait for it. */
function splitByDurability(messages: readonly Message[]): { beforeWrite: readonly Message[]; afterWrite: readonly Message[] } {
  let waiting = 0;
  for (const m of messages) if (waitsForDurability(m.type)) waiting++;
  if (waiting === 0) return { beforeWrite: messages, afterWrite: [] };
  if (waiting === messages.length) return { beforeWrite: [], afterWrite: messages };
  return { beforeWrite: messages.filter((m) => !waitsForDurability(m.type)), afterWrite: messages.filter((m) => waitsForDurability(m.type)) };
}
