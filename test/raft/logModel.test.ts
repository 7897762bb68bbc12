// RaftLog (stable storage + unstable tail) against a naive model: a plain
// array of terms. Random appends from two leaders that share a committed
// prefix, random persistence (Ready/advance) and random compaction.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/raft/log.js';
import { silentLogger } from '../../src/raft/logger.js';
import { MemoryStorage } from '../../src/raft/memoryStorage.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

type Op =
  /** Append after index (our last index + 1 - back): mostly overlapping our log, sometimes beyond it. */
  { kind: 'append'; leader: 0 | 1; back: number; count: number } | { kind: 'persist' } | { kind: 'compact'; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), leader: fc.constantFrom(0 as const, 1 as const), back: fc.nat(12), count: fc.nat(6) }),
  fc.record({ kind: fc.constant('persist' as const) }),
  fc.record({ kind: fc.constant('compact' as const), back: fc.nat(5) }),
);

/** Two leader logs (terms per index, index 0 unused) that agree on the first `shared` entries. */
const logsArb = fc
  .record({
    shared: fc.integer({ min: 1, max: 10 }),
    a: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 20, maxLength: 30 }),
    b: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 20, maxLength: 30 }),
  })
  .map(({ shared, a, b }) => {
    const build = (steps: number[], base: number) => {
      const terms = [0];
      let t = 1;
      for (let i = 0; i < steps.length; i++) {
        if (i >= shared) t += steps[i]!; // terms never decrease
        terms.push(i < shared ? 1 : base + t);
      }
      return terms;
    };
    // Leader 1's divergent suffix uses terms from another range than leader 0's.
    return { shared, leaders: [build(a, 0), build(b, 100)] as const };
  });

describe('RaftLog against a naive model', () => {
  it('agrees on every term and bound after any sequence of appends, writes and compactions', () => {
    fc.assert(
      fc.property(logsArb, fc.array(opArb, { maxLength: 60 }), ({ shared, leaders }, ops) => {
        const storage = new MemoryStorage();
        const log = new RaftLog(storage, silentLogger, Infinity);
        let model: number[] = [0]; // model[i] = term of entry i
        const entry = (l: readonly number[], i: number): Entry => ({ index: i, term: l[i]!, type: EntryType.Normal, data: new Uint8Array() });
        for (const op of ops) {
          if (op.kind === 'append') {
            const l = leaders[op.leader];
            const prev = Math.max(0, Math.min(model.length - op.back, l.length - 1));
            const last = Math.min(prev + op.count, l.length - 1);
            const ents: Entry[] = [];
            for (let i = prev + 1; i <= last; i++) ents.push(entry(l, i));
            // Commit only within the shared prefix: the only entries both leaders agree on.
            const commit = Math.min(shared, last);
            const got = log.maybeAppend({ term: l[last]!, prev: { index: prev, term: l[prev]! }, entries: ents }, commit);
            // Below the snapshot point the term is unknown: the log cannot confirm a match
            // (a follower answers such a MsgApp with its commit index instead, see handleAppendEntries).
            const matches = prev >= log.firstIndex() - 1 && prev < model.length && model[prev] === l[prev];
            expect(got !== undefined).toBe(matches);
            if (matches) {
              for (let i = prev + 1; i <= last; i++) {
                if (i < model.length && model[i] !== l[i]) model = model.slice(0, i);
                if (i >= model.length) model.push(l[i]!);
              }
              expect(got).toBe(last);
            }
          } else if (op.kind === 'persist') {
            const ents = log.nextUnstableEnts();
            storage.append(ents);
            log.acceptUnstable();
            if (ents.length > 0) log.stableTo({ index: ents[ents.length - 1]!.index, term: ents[ents.length - 1]!.term });
          } else {
            // Compact only what is both committed and persisted, as an application would.
            const upTo = Math.min(log.committed, storage.lastIndex()) - op.back;
            if (upTo > storage.firstIndex() - 1) storage.compact(upTo);
          }
          expect(log.lastIndex()).toBe(model.length - 1);
          for (let i = log.firstIndex() - 1; i < model.length; i++) expect(log.term(i)).toBe(model[i]);
          expect(log.term(model.length)).toBeUndefined();
          const all = log.slice(log.firstIndex(), log.lastIndex() + 1, Infinity);
          expect(all?.map((e) => e.term)).toEqual(model.slice(log.firstIndex()));
          expect(log.committed).toBeLessThanOrEqual(log.lastIndex());
        }
      }),
      { numRuns: 300 },
    );
  });
});
