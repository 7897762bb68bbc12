import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignConsenterIds, diffConsenters, initialConsenterIds } from '../../../src/block/configtx/consenters.js';
import type { ConsenterValues } from '../../../src/block/configtx/channelValues.js';
import { ConfigTransitionError } from '../../../src/block/configtx/errors.js';
import { makeTestChannel } from './helpers.js';

const channel = makeTestChannel();
const [c1, c2, c3] = channel.values.consenters as [ConsenterValues, ConsenterValues, ConsenterValues];
const c4 = channel.consenter(4);
const c5 = channel.consenter(5);
const ids = initialConsenterIds([c1, c2, c3]);

describe('consenter ids and diffs (Fabric ComputeMembershipChanges)', () => {
  it('gives a new channel ids 1..n and next n + 1', () => {
    expect(ids).toEqual({ consenterIds: [1, 2, 3], nextConsenterId: 4 });
  });

  it('adds one consenter under nextConsenterId', () => {
    const diff = diffConsenters([c1, c2, c3], ids, [c1, c2, c3, c4]);
    expect(diff.added).toEqual({ id: 4, consenter: c4 });
    expect(diff.removed).toBeUndefined();
    expect(assignConsenterIds([c1, c2, c3], ids, [c1, c2, c3, c4])).toEqual({ consenterIds: [1, 2, 3, 4], nextConsenterId: 5 });
  });

  it('removes one consenter by its id, wherever it sits, and never reuses the id', () => {
    const diff = diffConsenters([c1, c2, c3], ids, [c1, c3]);
    expect(diff.removed).toEqual({ id: 2, consenter: c2 });
    const after = assignConsenterIds([c1, c2, c3], ids, [c3, c1]);
    expect(after).toEqual({ consenterIds: [3, 1], nextConsenterId: 4 });
    expect(diffConsenters([c3, c1], after, [c3, c1, c4]).added?.id).toBe(4);
  });

  it("treats one leaving and one arriving as a rotation keeping the leaver's id", () => {
    const diff = diffConsenters([c1, c2, c3], ids, [c1, c4, c3]);
    expect(diff.rotated).toEqual({ id: 2, from: c2, to: c4 });
    expect(diff.added).toBeUndefined();
    expect(diff.removed).toBeUndefined();
    expect(assignConsenterIds([c1, c2, c3], ids, [c1, c4, c3])).toEqual({ consenterIds: [1, 2, 3], nextConsenterId: 4 });
  });

  it('keeps the id when only host, port or server certificate change (no Raft change)', () => {
    const moved = { ...c2, host: 'orderer2.example.com', port: 9999 };
    const diff = diffConsenters([c1, c2, c3], ids, [c1, moved, c3]);
    expect(diff).toEqual({ endpointsChanged: [{ id: 2, from: c2, to: moved }] });
  });

  it('refuses two additions, two removals, or an add beside a rotation, naming the rule', () => {
    for (const next of [[c1, c2, c3, c4, c5], [c1], [c4, c5, c3]]) {
      expect(() => diffConsenters([c1, c2, c3], ids, next)).toThrow(ConfigTransitionError);
      expect(() => diffConsenters([c1, c2, c3], ids, next)).toThrow(/one-consenter-change/);
    }
  });

  it('property: after any accepted sequence of single changes, ids are unique, aligned, and below nextConsenterId', () => {
    const pool = [c1, c2, c3, c4, c5, channel.consenter(6)];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.nat()), { maxLength: 12 }), (steps) => {
        let consenters: ConsenterValues[] = [c1, c2, c3];
        let state = initialConsenterIds(consenters);
        for (const [kind, a, b] of steps) {
          const absent = pool.filter((p) => !consenters.includes(p));
          let next = consenters;
          if (kind === 0 && absent.length > 0) next = [...consenters, absent[a % absent.length]!];
          else if (kind === 1 && consenters.length > 1) next = consenters.filter((_, i) => i !== a % consenters.length);
          else if (kind === 2 && absent.length > 0) next = consenters.map((c, i) => (i === b % consenters.length ? absent[a % absent.length]! : c));
          const before = new Map(consenters.map((c, i) => [c, state.consenterIds[i]!]));
          state = assignConsenterIds(consenters, state, next);
          consenters = next;
          expect(state.consenterIds).toHaveLength(consenters.length);
          expect(new Set(state.consenterIds).size).toBe(consenters.length);
          for (const id of state.consenterIds) expect(id).toBeLessThan(state.nextConsenterId);
          consenters.forEach((c, i) => {
            if (before.has(c)) expect(state.consenterIds[i]).toBe(before.get(c));
          });
        }
      }),
      { numRuns: 100, seed: 42 },
    );
  });
});
