import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { committedIndex, voteResult, VoteResult } from '../../src/raft/quorum.js';

/** Naive definition: the largest index that a majority has acknowledged (>=). */
function naiveCommitted(acked: number[]): number {
  const q = Math.floor(acked.length / 2) + 1;
  let best = 0;
  for (const candidate of acked) {
    if (acked.filter((a) => a >= candidate).length >= q) best = Math.max(best, candidate);
  }
  return best;
}

describe('quorum', () => {
  it('committedIndex is the majority-acknowledged index', () => {
    const voters = new Set([1, 2, 3]);
    const acked = new Map([
      [1, 5],
      [2, 3],
      [3, 1],
    ]);
    expect(committedIndex(voters, (id) => acked.get(id))).toBe(3);
    expect(committedIndex(new Set([1, 2, 3, 4]), (id) => acked.get(id))).toBe(1);
  });

  it('counts a voter without an acknowledgement as 0', () => {
    expect(committedIndex(new Set([1, 2, 3]), (id) => (id === 1 ? 9 : undefined))).toBe(0);
  });

  it('an empty voter set places no constraint (Infinity)', () => {
    expect(committedIndex(new Set(), () => 1)).toBe(Infinity);
  });

  it('committedIndex agrees with the naive definition', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 9 }), (acked) => {
        const voters = new Set(acked.map((_, i) => i + 1));
        expect(committedIndex(voters, (id) => acked[id - 1])).toBe(naiveCommitted(acked));
      }),
    );
  });

  it('voteResult: won with a majority, lost once impossible, else pending', () => {
    const v = new Set([1, 2, 3, 4, 5]);
    expect(
      voteResult(
        v,
        new Map([
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe(VoteResult.Pending);
    expect(
      voteResult(
        v,
        new Map([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe(VoteResult.Won);
    expect(
      voteResult(
        v,
        new Map([
          [1, false],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe(VoteResult.Lost);
    expect(
      voteResult(
        v,
        new Map([
          [1, false],
          [2, false],
          [3, true],
        ]),
      ),
    ).toBe(VoteResult.Pending);
    expect(voteResult(new Set(), new Map())).toBe(VoteResult.Won);
  });

  it('voteResult ignores votes of non-voters', () => {
    expect(
      voteResult(
        new Set([1, 2, 3]),
        new Map([
          [1, true],
          [7, true],
          [8, true],
        ]),
      ),
    ).toBe(VoteResult.Pending);
  });
});
