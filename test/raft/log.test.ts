import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/raft/log.js';
import { silentLogger } from '../../src/raft/logger.js';
import { MemoryStorage } from '../../src/raft/memoryStorage.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

const ent = (index: number, term: number, data = ''): Entry => ({ index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) });
const ids = (es: readonly Entry[] | undefined) => es?.map((e) => `${e.term}/${e.index}`);

/** A log whose storage holds `stableTerms` from index 1 and whose unstable tail holds `unstableTerms`. */
function logWith(stableTerms: number[], unstableTerms: number[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(stableTerms.map((t, i) => ent(i + 1, t, 'xx')));
  const log = new RaftLog(s, silentLogger, Infinity);
  const base = stableTerms.length;
  if (unstableTerms.length > 0) log.append(unstableTerms.map((t, i) => ent(base + i + 1, t, 'xx')));
  return log;
}

describe('RaftLog', () => {
  it('reads terms and entries across stable storage and the unstable tail', () => {
    const log = logWith([1, 1, 2], [3, 3]);
    expect(log.lastIndex()).toBe(5);
    expect(log.term(0)).toBe(0);
    expect(log.term(4)).toBe(3);
    expect(log.term(6)).toBeUndefined();
    expect(ids(log.slice(2, 6, Infinity))).toEqual(['1/2', '2/3', '3/4', '3/5']);
  });

  it('slice respects the size limit across the stable/unstable boundary, at least one entry', () => {
    const log = logWith([1, 1, 2], [3, 3]);
    expect(ids(log.slice(2, 6, 0))).toEqual(['1/2']);
    expect(ids(log.slice(2, 6, 4))).toEqual(['1/2', '2/3']);
    expect(ids(log.slice(2, 6, 6))).toEqual(['1/2', '2/3', '3/4']);
  });

  it('slice below the first index is compacted (undefined)', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.compact(2);
    const log = new RaftLog(s, silentLogger, Infinity);
    expect(log.slice(2, 4, Infinity)).toBeUndefined();
    expect(ids(log.slice(3, 4, Infinity))).toEqual(['1/3']);
    expect(log.term(2)).toBe(1);
    expect(log.term(1)).toBeUndefined();
  });

  it('maybeAppend: refuses a mismatching prev, truncates conflicts, commits min(commit, last new)', () => {
    const log = logWith([1, 1, 1, 2, 2]);
    expect(log.maybeAppend({ term: 3, prev: { index: 5, term: 3 }, entries: [] }, 5)).toBeUndefined();
    expect(log.maybeAppend({ term: 3, prev: { index: 3, term: 1 }, entries: [ent(4, 3)] }, 10)).toBe(4);
    expect(log.lastIndex()).toBe(4);
    expect(log.term(4)).toBe(3);
    expect(log.committed).toBe(4);
  });

  it('maybeAppend of entries we already have changes nothing (no truncation)', () => {
    const log = logWith([1, 1, 2]);
    expect(log.maybeAppend({ term: 2, prev: { index: 1, term: 1 }, entries: [ent(2, 1)] }, 0)).toBe(2);
    expect(log.lastIndex()).toBe(3);
  });

  it('refuses to truncate committed entries', () => {
    const log = logWith([1, 1, 1]);
    log.commitTo(3);
    expect(() => log.maybeAppend({ term: 2, prev: { index: 1, term: 1 }, entries: [ent(2, 2)] }, 0)).toThrow(/conflict with committed/);
  });

  it('findConflictByTerm skips every entry whose term is above the hint term', () => {
    const log = logWith([1, 1, 2, 2, 4, 4, 4]);
    expect(log.findConflictByTerm(7, 3)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(7, 4)).toEqual({ index: 7, term: 4 });
    expect(log.findConflictByTerm(7, 0)).toEqual({ index: 0, term: 0 });
  });

  it('maybeCommit only commits an entry of the given (current) term', () => {
    const log = logWith([1, 1, 2]);
    expect(log.maybeCommit({ index: 3, term: 1 })).toBe(false);
    expect(log.maybeCommit({ index: 2, term: 2 })).toBe(false);
    expect(log.maybeCommit({ index: 3, term: 2 })).toBe(true);
    expect(log.committed).toBe(3);
  });

  it('commitTo beyond the last index is a broken invariant', () => {
    const log = logWith([1]);
    expect(() => log.commitTo(2)).toThrow(/out of range/);
  });

  it('isUpToDate compares last term first, then last index', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate({ term: 3, index: 1 })).toBe(true);
    expect(log.isUpToDate({ term: 2, index: 3 })).toBe(true);
    expect(log.isUpToDate({ term: 2, index: 2 })).toBe(false);
    expect(log.isUpToDate({ term: 1, index: 9 })).toBe(false);
  });

  it('hands committed entries out once, in order', () => {
    const log = logWith([1, 1], [1]);
    log.commitTo(3);
    expect(ids(log.nextCommittedEnts(true))).toEqual(['1/1', '1/2', '1/3']);
    expect(ids(log.nextCommittedEnts(false))).toEqual(['1/1', '1/2']);
    log.acceptApplying(3, 6, true);
    expect(log.hasNextCommittedEnts(true)).toBe(false);
    log.appliedTo(3, 6);
    expect(log.applied).toBe(3);
  });
});
