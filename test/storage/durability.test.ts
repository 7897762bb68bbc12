// What survives a close and reopen: for both engines, random sequences of
// Storage mutations are applied to the durable storage and to MemoryStorage
// (the reference); after reopening, the durable state must equal the model.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/raft/memoryStorage.js';
import type { Storage } from '../../src/raft/storage.js';
import type { ConfState, Snapshot } from '../../src/raft/types.js';
import type { WalEnvironment } from '../../src/storage/index.js';
import { engines, entries, entry, openEnv, removeDir, tempDir, text } from './helpers.js';

const cs = (voters: number[]): ConfState => ({ voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });

/** Everything the core can observe through Storage, as plain data. */
function observe(s: Storage): unknown {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const snap = s.snapshot();
  return {
    first,
    last,
    startTerm: s.term(first - 1),
    entries: s.entries(first, last + 1, Infinity).map((e) => [e.index, e.term, e.type, text(e.data)]),
    state: s.initialState(),
    snapshot: { ...snap.metadata, data: Array.from(snap.data) },
  };
}

type Step =
  | { kind: 'append'; back: number; count: number; bumpTerm: boolean }
  | { kind: 'hardState'; vote: number }
  | { kind: 'compact'; at: number }
  | { kind: 'createSnapshot'; at: number; voters: number }
  | { kind: 'applySnapshot'; ahead: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), count: fc.integer({ min: 1, max: 5 }), bumpTerm: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), vote: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createSnapshot' as const), at: fc.nat(100), voters: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('applySnapshot' as const), ahead: fc.integer({ min: 1, max: 20 }) }) },
);

/** Applies `step` to both storages in the same valid form (skips steps that would be programmer errors). */
function applyStep(step: Step, model: MemoryStorage, durable: ReturnType<WalEnvironment['channel']>['raft'], term: { value: number }): void {
  const first = model.firstIndex();
  const last = model.lastIndex();
  switch (step.kind) {
    case 'append': {
      if (step.bumpTerm) term.value += 1;
      const from = Math.max(first, last + 1 - step.back);
      const ents = entries(from, from + step.count, term.value);
      model.append(ents);
      durable.append(ents);
      return;
    }
    case 'hardState': {
      const hs = { term: term.value, vote: step.vote, commit: Math.max(model.initialState().hardState.commit, first - 1) };
      model.setHardState(hs);
      durable.setHardState(hs);
      return;
    }
    case 'compact': {
      if (last < first) return;
      const at = first + (step.at % (last - first + 1));
      model.compact(at);
      durable.compact(at);
      return;
    }
    case 'createSnapshot': {
      const snapIndex = model.snapshot().metadata.index;
      if (last <= snapIndex || last < first - 1) return;
      const lo = Math.max(snapIndex + 1, first - 1);
      if (lo > last) return;
      const at = lo + (step.at % (last - lo + 1));
      const data = new TextEncoder().encode(`snap@${at}`);
      model.createSnapshot(at, cs([step.voters]), data);
      durable.createSnapshot(at, cs([step.voters]), data);
      return;
    }
    case 'applySnapshot': {
      const index = Math.max(last, model.snapshot().metadata.index) + step.ahead;
      term.value += 1;
      const snap: Snapshot = { data: new TextEncoder().encode(`remote@${index}`), metadata: { index, term: term.value, confState: cs([1, 2, 3]) } };
      model.applySnapshot(snap);
      durable.applySnapshot(snap);
      return;
    }
  }
}

for (const engine of engines) {
  describe(`durable Raft storage survives reopen (${engine})`, () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) removeDir(d);
    });

    it('property: after any mutation sequence, the reopened storage equals MemoryStorage', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
          const dir = tempDir();
          dirs.push(dir);
          const model = new MemoryStorage();
          let env = openEnv(engine, dir);
          const term = { value: 1 };
          const durable = env.channel('prop').raft;
          for (const step of steps) applyStep(step, model, durable, term);
          expect(observe(durable)).toEqual(observe(model));
          await durable.whenDurable();
          await env.close();
          env = openEnv(engine, dir);
          try {
            expect(observe(env.channel('prop').raft)).toEqual(observe(model));
          } finally {
            await env.close();
          }
        }),
        { numRuns: 25, seed: 20261121 },
      );
    });

    it('persistReady is durable when it resolves: entries, truncation and hard state come back', async () => {
      const dir = tempDir();
      dirs.push(dir);
      let env = openEnv(engine, dir);
      const raft = env.channel('c1').raft;
      await raft.persistReady({ entries: entries(1, 6, 1), hardState: { term: 1, vote: 1, commit: 2 } });
      // A new leader overwrites the uncommitted suffix 4..5 with a shorter one.
      await raft.persistReady({ entries: [entry(4, 2)], hardState: { term: 2, vote: 2, commit: 3 } });
      await env.close();
      env = openEnv(engine, dir);
      const back = env.channel('c1').raft;
      expect(back.lastIndex()).toBe(4);
      expect(back.entries(1, 5, Infinity).map((e) => [e.index, e.term])).toEqual([
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 2],
      ]);
      expect(back.initialState().hardState).toEqual({ term: 2, vote: 2, commit: 3 });
      await env.close();
    });

    it('takeSnapshot keeps 4 entries before the snapshot point and deletes the older ones', async () => {
      const dir = tempDir();
      dirs.push(dir);
      let env = openEnv(engine, dir);
      const raft = env.channel('snap').raft;
      await raft.persistReady({ entries: entries(1, 21, 3), hardState: { term: 3, vote: 1, commit: 20 } });
      const snap = await raft.takeSnapshot(15, cs([1, 2, 3]), new TextEncoder().encode('block 14'));
      expect(snap.metadata).toEqual({ index: 15, term: 3, confState: cs([1, 2, 3]) });
      expect(raft.firstIndex()).toBe(12);
      await env.close();
      env = openEnv(engine, dir);
      const back = env.channel('snap').raft;
      expect(back.firstIndex()).toBe(12);
      expect(back.lastIndex()).toBe(20);
      expect(text(back.snapshot().data)).toBe('block 14');
      expect(back.initialState().confState.voters).toEqual([1, 2, 3]);
      expect(() => back.entries(11, 12, Infinity)).toThrow(/compacted/);
      await env.close();
    });

    it('persistReady with a received snapshot replaces the log atomically with the entries after it', async () => {
      const dir = tempDir();
      dirs.push(dir);
      let env = openEnv(engine, dir);
      const raft = env.channel('recv').raft;
      await raft.persistReady({ entries: entries(1, 4, 1) });
      const snapshot: Snapshot = { data: new Uint8Array([7]), metadata: { index: 50, term: 4, confState: cs([2, 3]) } };
      await raft.persistReady({ snapshot, entries: [entry(51, 4)], hardState: { term: 4, vote: 0, commit: 50 } });
      await env.close();
      env = openEnv(engine, dir);
      const back = env.channel('recv').raft;
      expect([back.firstIndex(), back.lastIndex(), back.term(50)]).toEqual([51, 51, 4]);
      expect(back.initialState()).toEqual({ hardState: { term: 4, vote: 0, commit: 50 }, confState: cs([2, 3]) });
      await env.close();
    });

    it('setConfState is what initialState returns after a restart', async () => {
      const dir = tempDir();
      dirs.push(dir);
      let env = openEnv(engine, dir);
      env.channel('conf').raft.setConfState(cs([1, 4]));
      await env.channel('conf').raft.whenDurable();
      await env.close();
      env = openEnv(engine, dir);
      expect(env.channel('conf').raft.initialState().confState.voters).toEqual([1, 4]);
      await env.close();
    });

    it('channels are independent and all come back', async () => {
      const dir = tempDir();
      dirs.push(dir);
      let env = openEnv(engine, dir);
      await Promise.all(['a', 'b', 'c'].map((ch, i) => env.channel(ch).raft.persistReady({ entries: entries(1, 2 + i, 1 + i) })));
      await env.close();
      env = openEnv(engine, dir);
      expect(env.storedChannels().sort()).toEqual(['a', 'b', 'c']);
      expect(['a', 'b', 'c'].map((ch) => [env.channel(ch).raft.lastIndex(), env.channel(ch).raft.term(1)])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
      await env.close();
    });
  });
}
