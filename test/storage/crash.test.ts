// Crash recovery with real processes: a child runs a write storm and prints
// every durable acknowledgement; the parent SIGKILLs it at a random moment,
// reopens the same directory, and checks that everything acknowledged is there
// and that hard state, entries and ledger agree. Several kills per directory
// (the child resumes from what it finds), both engines. Seeds are printed on
// failure so a run can be replayed.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineName } from '../../src/storage/index.js';
import { stormBlock, stormChannels, stormEntryData } from './fixtures/crashStorm.js';
import { engines, openEnv, removeDir, tempDir, text } from './helpers.js';

const stormScript = fileURLToPath(new URL('./fixtures/crashStorm.ts', import.meta.url));
const killsPerDir = 5;
const dirsPerEngine = 2;
/** Small segments: the native-free WAL rolls, checkpoints and deletes segments during the storm. */
const stormSegmentMaxBytes = 64 * 1024;

interface Acks {
  commit: Map<string, number>;
  term: Map<string, number>;
  /** channel -> index -> term of acknowledged committed entries. */
  committed: Map<string, Map<number, number>>;
  block: Map<string, number>;
  duplicates: number;
  lines: number;
}

function emptyAcks(): Acks {
  return { commit: new Map(), term: new Map(), committed: new Map(), block: new Map(), duplicates: 0, lines: 0 };
}

function noteAck(acks: Acks, line: string): void {
  const [kind, ch, a, b] = line.split(' ');
  if (ch === undefined) return;
  acks.lines += 1;
  const max = (m: Map<string, number>, v: number) => m.set(ch, Math.max(m.get(ch) ?? -1, v));
  if (kind === 'R') {
    max(acks.term, Number(a));
    max(acks.commit, Number(b));
  } else if (kind === 'C') {
    if (!acks.committed.has(ch)) acks.committed.set(ch, new Map());
    acks.committed.get(ch)!.set(Number(a), Number(b));
  } else if (kind === 'B') {
    max(acks.block, Number(a));
  } else if (kind === 'D') {
    acks.duplicates += 1;
  }
}

/** Runs the storm until `killAfterMs` after it is ready, SIGKILLs it, returns what it acknowledged. */
function runAndKill(engine: EngineName, dir: string, seed: number, killAfterMs: number, acks: Acks): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', stormScript, engine, dir, String(seed), String(stormSegmentMaxBytes)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    // Bound: a child that never gets ready is killed and reported.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!; // a line cut by the kill has no newline: not an ack
      for (const line of lines) {
        if (line === 'ready') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else noteAck(acks, line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (timer !== undefined) clearTimeout(timer);
      if (signal === 'SIGKILL' && timer !== undefined) resolve();
      else reject(new Error(`storm child ended with code ${code} signal ${signal} before the kill: ${stderr}`));
    });
  });
}

/** Reopens `dir` and checks it against the acknowledgements. */
async function verify(engine: EngineName, dir: string, acks: Acks, context: string): Promise<void> {
  const env = openEnv(engine, dir);
  try {
    for (const ch of stormChannels) {
      const { raft, ledger } = env.channel(ch);
      const where = `${context} channel ${ch}`;
      const hs = raft.initialState().hardState;
      expect(hs.commit, `${where}: commit`).toBeGreaterThanOrEqual(acks.commit.get(ch) ?? 0);
      expect(hs.term, `${where}: term`).toBeGreaterThanOrEqual(acks.term.get(ch) ?? 0);
      const first = raft.firstIndex();
      const last = raft.lastIndex();
      expect(last, `${where}: committed entries are in the log`).toBeGreaterThanOrEqual(hs.commit);
      // Every stored entry is intact and terms never decrease along the log.
      let prevTerm = raft.term(first - 1);
      for (const e of last >= first ? raft.entries(first, last + 1, Infinity) : []) {
        expect(text(e.data), `${where}: entry ${e.index}`).toBe(text(stormEntryData(ch, e.index, e.term)));
        expect(e.term, `${where}: term order at ${e.index}`).toBeGreaterThanOrEqual(prevTerm);
        prevTerm = e.term;
      }
      // Every acknowledged committed entry is there with its term, or compacted under a snapshot.
      const snapIndex = raft.snapshot().metadata.index;
      for (const [index, term] of acks.committed.get(ch) ?? []) {
        if (index < first) expect(index, `${where}: compacted entry ${index} is under the snapshot`).toBeLessThanOrEqual(snapIndex);
        else expect(raft.term(index), `${where}: term of committed entry ${index}`).toBe(term);
      }
      // The ledger holds every acknowledged block, each from a committed entry, chained.
      expect(ledger.height, `${where}: ledger height`).toBeGreaterThanOrEqual((acks.block.get(ch) ?? -1) + 1);
      expect(ledger.lastRaftIndex, `${where}: blocks come from committed entries`).toBeLessThanOrEqual(hs.commit);
      expect(snapIndex, `${where}: snapshot comes from an applied block`).toBeLessThanOrEqual(ledger.lastRaftIndex);
      if (snapIndex > 0) expect(Buffer.compare(raft.snapshot().data, stormBlock(ch, snapIndex - 1).bytes), `${where}: snapshot data`).toBe(0);
      for (const block of ledger.blocks(0, ledger.height)) {
        const want = stormBlock(ch, block.number);
        expect(block.raftIndex, `${where}: raft index of block ${block.number}`).toBe(block.number + 1);
        expect(Buffer.compare(block.bytes, want.bytes), `${where}: bytes of block ${block.number}`).toBe(0);
        expect(Buffer.compare(block.previousHash, want.previousHash), `${where}: chain at block ${block.number}`).toBe(0);
      }
    }
  } finally {
    await env.close();
  }
}

for (const engine of engines) {
  describe(`crash recovery with SIGKILL (${engine})`, () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) removeDir(d);
    });

    it(`loses nothing acknowledged over ${killsPerDir * dirsPerEngine} kills at random points`, async () => {
      const baseSeed = Date.now() % 1_000_000;
      let totalAcks = 0;
      let duplicates = 0;
      for (let d = 0; d < dirsPerEngine; d++) {
        const dir = tempDir('raft-orderer-crash-');
        dirs.push(dir);
        const acks = emptyAcks();
        for (let k = 0; k < killsPerDir; k++) {
          const seed = baseSeed + d * 100 + k;
          const killAfterMs = 150 + ((seed * 7919) % 700);
          const context = `${engine} seed ${seed} kill ${k} after ${killAfterMs} ms`;
          await runAndKill(engine, dir, seed, killAfterMs, acks);
          await verify(engine, dir, acks, context);
        }
        totalAcks += acks.lines;
        duplicates += acks.duplicates;
        if (engine === 'native-free') {
          // The storm's snapshots let WAL checkpoints delete old segments while being killed.
          const walSegments = fs.readdirSync(join(dir, 'wal')).sort();
          expect(walSegments[0], 'oldest WAL segment left').not.toBe('wal-000000000001.seg');
        }
      }
      // The storm did real work, and restarts exercised the replay-skip path.
      console.info(`${engine}: ${totalAcks} acknowledgements, ${duplicates} replayed blocks skipped, base seed ${baseSeed}`);
      expect(totalAcks).toBeGreaterThan(100);
      expect(duplicates).toBeGreaterThan(0);
    }, 180_000);
  });
}
