import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/raft/logger.js';
import { UnstableLog } from '../../src/raft/logUnstable.js';
import { emptyConfState, EntryType, type Entry } from '../../src/raft/types.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array() });
const ids = (es: readonly Entry[]) => es.map((e) => `${e.term}/${e.index}`);

function unstableWith(offset: number, ...terms: number[]): UnstableLog {
  const u = new UnstableLog(offset, silentLogger);
  if (terms.length > 0) u.truncateAndAppend(terms.map((t, i) => ent(offset + i, t)));
  return u;
}

describe('UnstableLog', () => {
  it('appends contiguously, replaces from before the offset, truncates in the middle', () => {
    const u = unstableWith(5, 1, 1, 1);
    u.truncateAndAppend([ent(8, 2)]);
    expect(ids(u.entries)).toEqual(['1/5', '1/6', '1/7', '2/8']);
    u.truncateAndAppend([ent(7, 3)]);
    expect(ids(u.entries)).toEqual(['1/5', '1/6', '3/7']);
    u.truncateAndAppend([ent(4, 4), ent(5, 4)]);
    expect(u.offset).toBe(4);
    expect(ids(u.entries)).toEqual(['4/4', '4/5']);
  });

  it('hands out entries once: nextEntries is empty after acceptInProgress', () => {
    const u = unstableWith(5, 1, 1);
    expect(ids(u.nextEntries())).toEqual(['1/5', '1/6']);
    u.acceptInProgress();
    expect(u.nextEntries()).toEqual([]);
    u.truncateAndAppend([ent(7, 1)]);
    expect(ids(u.nextEntries())).toEqual(['1/7']);
  });

  it('a truncation below the in-progress point re-offers the new entries', () => {
    const u = unstableWith(5, 1, 1, 1);
    u.acceptInProgress();
    u.truncateAndAppend([ent(6, 2)]);
    expect(u.offsetInProgress).toBe(6);
    expect(ids(u.nextEntries())).toEqual(['2/6']);
  });

  it('stableTo drops stable entries, but not if the term no longer matches', () => {
    const u = unstableWith(5, 1, 1, 1);
    u.stableTo({ index: 6, term: 2 });
    expect(u.offset).toBe(5);
    u.stableTo({ index: 6, term: 1 });
    expect(u.offset).toBe(7);
    expect(ids(u.entries)).toEqual(['1/7']);
  });

  it('answers terms and bounds from a pending snapshot', () => {
    const u = unstableWith(1);
    expect(u.maybeLastIndex()).toBeUndefined();
    u.restore({ data: new Uint8Array(), metadata: { index: 10, term: 3, confState: emptyConfState } });
    expect(u.maybeFirstIndex()).toBe(11);
    expect(u.maybeLastIndex()).toBe(10);
    expect(u.maybeTerm(10)).toBe(3);
    expect(u.maybeTerm(9)).toBeUndefined();
    expect(u.nextSnapshot()).toBeDefined();
    u.acceptInProgress();
    expect(u.nextSnapshot()).toBeUndefined();
    u.stableSnapTo(10);
    expect(u.snapshot).toBeUndefined();
  });

  it('slice asserts its bounds', () => {
    const u = unstableWith(5, 1, 1);
    expect(ids(u.slice(5, 7))).toEqual(['1/5', '1/6']);
    expect(() => u.slice(4, 6)).toThrow(/out of bound/);
    expect(() => u.slice(6, 5)).toThrow(/invalid/);
  });
});
