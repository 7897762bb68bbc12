// MemoryEntries: the in-memory entry window shared by MemoryStorage and the
// storage layer's MemoryLog. The Storage contract suite covers its reads through
// both; these cover what only the window reports (what append stored, the start).

import { describe, expect, it } from 'vitest';
import { MemoryEntries } from '../../src/raft/memoryEntries.js';
import { StorageError } from '../../src/raft/storage.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

const entry = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });
const indexes = (entries: readonly Entry[]): number[] => entries.map((e) => e.index);

describe('MemoryEntries', () => {
  it('append returns the entries it stored: those after the start point, overwriting a conflicting suffix', () => {
    const log = new MemoryEntries(3, 2);
    expect(indexes(log.append([entry(2, 2), entry(3, 2), entry(4, 2), entry(5, 2)]))).toEqual([4, 5]);
    expect(indexes(log.append([entry(5, 3), entry(6, 3)]))).toEqual([5, 6]);
    expect(log.term(5)).toBe(3);
    expect(indexes(log.append([entry(1, 1), entry(2, 1)]))).toEqual([]);
    expect([log.firstIndex(), log.lastIndex()]).toEqual([4, 6]);
  });

  it('compact moves the start point to the compacted entry, keeping its term', () => {
    const log = new MemoryEntries();
    log.append([entry(1, 1), entry(2, 1), entry(3, 2)]);
    log.compact(2);
    expect([log.startIndex, log.startTerm, log.firstIndex()]).toEqual([2, 1, 3]);
    expect(indexes(log.all())).toEqual([3]);
    expect(() => log.term(1)).toThrow(StorageError);
    expect(() => log.compact(2)).toThrow(/already compacted to 2/);
  });

  it('reset drops every entry and restarts the log after the given point', () => {
    const log = new MemoryEntries();
    log.append([entry(1, 1), entry(2, 1)]);
    log.reset(10, 4);
    expect([log.firstIndex(), log.lastIndex(), log.term(10)]).toEqual([11, 10, 4]);
    expect(log.all()).toEqual([]);
    expect(() => log.append([entry(12, 4)])).toThrow(/missing log entry/);
  });
});
