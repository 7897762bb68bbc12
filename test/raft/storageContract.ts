// The reference semantics of a Raft Storage, as a reusable vitest suite.
// MemoryStorage runs it (memoryStorage.test.ts); the durable storage runs the
// same suite so both behave identically for the core.
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError, type Storage } from '../../src/raft/storage.js';
import { EntryType, type ConfState, type Entry, type HardState, type Snapshot } from '../../src/raft/types.js';

/** The write side the application drives from Ready (see the RawNode usage loop). */
export interface WritableStorage extends Storage {
  append(entries: readonly Entry[]): void;
  applySnapshot(snap: Snapshot): void;
  compact(compactIndex: number): void;
  setHardState(hs: HardState): void;
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Snapshot;
}

export interface StorageUnderTest {
  storage: WritableStorage;
  /** Releases whatever `make` acquired (temp dirs, handles). */
  cleanup?: () => void | Promise<void>;
}

const cs123: ConfState = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

function ent(index: number, term: number, text = ''): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

function ids(ents: readonly Entry[]): Array<[number, number]> {
  return ents.map((e) => [e.index, e.term]);
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
  return 'no error';
}

/**
 * Registers the contract tests. `make` returns a fresh, empty storage each time
 * (first index 1, last index 0, empty hard state and conf state).
 */
export function storageContractSuite(name: string, make: () => StorageUnderTest | Promise<StorageUnderTest>): void {
  describe(`Storage contract: ${name}`, () => {
    let current: StorageUnderTest | undefined;
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });
    async function fresh(): Promise<WritableStorage> {
      current = await make();
      return current.storage;
    }
    /** Storage with a snapshot point at (3, 3) and entries 4/4, 5/5 (data sizes 10 each). */
    async function compactedAt3(): Promise<WritableStorage> {
      const s = await fresh();
      s.append([ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4, 'aaaaaaaaaa'), ent(5, 5, 'bbbbbbbbbb')]);
      s.compact(3);
      return s;
    }

    it('starts empty: first index 1, last index 0, term(0) = 0, empty states', async () => {
      const s = await fresh();
      expect(s.firstIndex()).toBe(1);
      expect(s.lastIndex()).toBe(0);
      expect(s.term(0)).toBe(0);
      const { hardState, confState } = s.initialState();
      expect(hardState).toEqual({ term: 0, vote: 0, commit: 0 });
      expect(confState.voters).toEqual([]);
      expect(s.snapshot().metadata.index).toBe(0);
    });

    it('term answers from the snapshot point to the last index, compacted below, unavailable above', async () => {
      const s = await compactedAt3();
      expect(codeOf(() => s.term(2))).toBe('compacted');
      expect(s.term(3)).toBe(3);
      expect(s.term(4)).toBe(4);
      expect(s.term(5)).toBe(5);
      expect(codeOf(() => s.term(6))).toBe('unavailable');
    });

    it('entries returns [lo, hi), compacted below the first index, unavailable past last+1', async () => {
      const s = await compactedAt3();
      expect(codeOf(() => s.entries(3, 5, Infinity))).toBe('compacted');
      expect(ids(s.entries(4, 5, Infinity))).toEqual([[4, 4]]);
      expect(ids(s.entries(4, 6, Infinity))).toEqual([
        [4, 4],
        [5, 5],
      ]);
      expect(s.entries(5, 5, Infinity)).toEqual([]);
      expect(codeOf(() => s.entries(4, 7, Infinity))).toBe('unavailable');
    });

    it('entries cuts by data size but always returns at least one entry', async () => {
      const s = await compactedAt3();
      expect(ids(s.entries(4, 6, 0))).toEqual([[4, 4]]);
      expect(ids(s.entries(4, 6, 19))).toEqual([[4, 4]]);
      expect(ids(s.entries(4, 6, 20))).toEqual([
        [4, 4],
        [5, 5],
      ]);
    });

    it('entries returns the appended data unchanged', async () => {
      const s = await fresh();
      s.append([ent(1, 1, 'hello'), { index: 2, term: 1, type: EntryType.ConfChange, data: new Uint8Array([1, 2, 3]) }]);
      const got = s.entries(1, 3, Infinity);
      expect(new TextDecoder().decode(got[0]!.data)).toBe('hello');
      expect(got[1]!.type).toBe(EntryType.ConfChange);
      expect(Array.from(got[1]!.data)).toEqual([1, 2, 3]);
    });

    it('first and last index follow compaction', async () => {
      const s = await compactedAt3();
      expect(s.firstIndex()).toBe(4);
      expect(s.lastIndex()).toBe(5);
      s.compact(5);
      expect(s.firstIndex()).toBe(6);
      expect(s.lastIndex()).toBe(5);
      expect(s.term(5)).toBe(5);
    });

    it('compact at or below the snapshot point is refused as compacted', async () => {
      const s = await compactedAt3();
      expect(codeOf(() => s.compact(2))).toBe('compacted');
      expect(codeOf(() => s.compact(3))).toBe('compacted');
      expect(s.firstIndex()).toBe(4);
    });

    it('append overwrites a conflicting suffix', async () => {
      const s = await compactedAt3();
      s.append([ent(4, 6), ent(5, 6), ent(6, 6)]);
      expect(ids(s.entries(4, 7, Infinity))).toEqual([
        [4, 6],
        [5, 6],
        [6, 6],
      ]);
      s.append([ent(5, 7)]);
      expect(s.lastIndex()).toBe(5);
      expect(ids(s.entries(4, 6, Infinity))).toEqual([
        [4, 6],
        [5, 7],
      ]);
    });

    it('append extends contiguously and ignores entries at or below the snapshot point', async () => {
      const s = await compactedAt3();
      s.append([ent(6, 5)]);
      expect(s.lastIndex()).toBe(6);
      // Overlapping the snapshot point: the part above it overwrites from 4 on.
      s.append([ent(2, 3), ent(3, 3), ent(4, 4)]);
      expect(s.lastIndex()).toBe(4);
      expect(ids(s.entries(4, 5, Infinity))).toEqual([[4, 4]]);
      s.append([ent(1, 1), ent(2, 2)]);
      expect(s.firstIndex()).toBe(4);
      expect(s.lastIndex()).toBe(4);
    });

    it('append of nothing changes nothing', async () => {
      const s = await compactedAt3();
      s.append([]);
      expect(s.lastIndex()).toBe(5);
    });

    it('setHardState is returned by initialState', async () => {
      const s = await fresh();
      s.setHardState({ term: 7, vote: 2, commit: 0 });
      expect(s.initialState().hardState).toEqual({ term: 7, vote: 2, commit: 0 });
    });

    it('createSnapshot records index, term, conf state and data, and refuses older ones', async () => {
      const s = await fresh();
      s.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
      const snap = s.createSnapshot(2, cs123, new Uint8Array([9]));
      expect(snap.metadata.index).toBe(2);
      expect(snap.metadata.term).toBe(2);
      expect(snap.metadata.confState.voters).toEqual([1, 2, 3]);
      expect(Array.from(s.snapshot().data)).toEqual([9]);
      expect(s.snapshot().metadata.index).toBe(2);
      expect(codeOf(() => s.createSnapshot(2, cs123, new Uint8Array()))).toBe('snapshot-out-of-date');
      expect(codeOf(() => s.createSnapshot(1, cs123, new Uint8Array()))).toBe('snapshot-out-of-date');
      // Making a snapshot does not compact the log by itself.
      expect(s.firstIndex()).toBe(1);
    });

    it('createSnapshot without a conf state keeps the previous one', async () => {
      const s = await fresh();
      s.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
      s.createSnapshot(1, cs123, new Uint8Array());
      const snap = s.createSnapshot(3, undefined, new Uint8Array());
      expect(snap.metadata.confState.voters).toEqual([1, 2, 3]);
    });

    it('applySnapshot replaces the log and the conf state, and refuses an older snapshot', async () => {
      const s = await compactedAt3();
      const snap: Snapshot = { data: new Uint8Array([1]), metadata: { confState: cs123, index: 10, term: 4 } };
      s.applySnapshot(snap);
      expect(s.firstIndex()).toBe(11);
      expect(s.lastIndex()).toBe(10);
      expect(s.term(10)).toBe(4);
      expect(codeOf(() => s.term(9))).toBe('compacted');
      expect(s.initialState().confState.voters).toEqual([1, 2, 3]);
      expect(s.snapshot().metadata.index).toBe(10);
      const older: Snapshot = { data: new Uint8Array(), metadata: { confState: cs123, index: 9, term: 4 } };
      expect(codeOf(() => s.applySnapshot(older))).toBe('snapshot-out-of-date');
      expect(s.lastIndex()).toBe(10);
      s.append([ent(11, 4)]);
      expect(ids(s.entries(11, 12, Infinity))).toEqual([[11, 4]]);
    });
  });
}
