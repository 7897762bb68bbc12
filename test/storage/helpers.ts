// Shared test plumbing for the storage suites: temp environments for either
// engine, a logger whose lines can be inspected, and a deterministic block chain.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterEach } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { openWalEnvironment, type EngineName, type LedgerBlock, type WalEnvironment, type WalEnvironmentOptions } from '../../src/storage/index.js';

export const engines: readonly EngineName[] = ['native', 'native-free'];

export function tempDir(prefix = 'raft-orderer-storage-'): string {
  return fs.mkdtempSync(join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Call at a suite's top level: returns a maker of fresh temp directories, each
 * removed after the test that made it.
 */
export function tempDirsPerTest(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });
  return () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
}

/** A pino logger writing JSON lines into `lines` (for asserting on warnings). */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

export const silentLogger: Logger = pino({ level: 'silent' });

export type EnvOptions = Omit<WalEnvironmentOptions, 'dir' | 'engine' | 'logger'> & { logger?: Logger };

export function openEnv(engine: EngineName, dir: string, options: EnvOptions = {}): WalEnvironment {
  return openWalEnvironment({ ...options, dir, engine, logger: options.logger ?? silentLogger });
}

export function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

export function entries(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i < hi; i++) out.push(entry(i, term));
  return out;
}

/** Deterministic header hash of block `n` of `channel` (stands in for the block layer's hash in these tests). */
export function fakeHeaderHash(channel: string, n: number): Uint8Array {
  return createHash('sha256').update(`${channel}/${n}`).digest();
}

export function blockBytes(channel: string, n: number, size = 64): Uint8Array {
  const seed = createHash('sha256').update(`bytes ${channel}/${n}`).digest();
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = seed[i % seed.length]!;
  return out;
}

/** Block `n` of a deterministic chain; raft index n + 1 unless given. */
export function chainBlock(channel: string, n: number, opts: { raftIndex?: number; isConfig?: boolean; size?: number; txIds?: string[] } = {}): LedgerBlock {
  return {
    number: n,
    headerHash: fakeHeaderHash(channel, n),
    previousHash: n === 0 ? new Uint8Array(0) : fakeHeaderHash(channel, n - 1),
    raftIndex: opts.raftIndex ?? n + 1,
    isConfig: opts.isConfig ?? n === 0,
    txIds: opts.txIds ?? [`${channel}-tx-${n}-0`, `${channel}-tx-${n}-1`],
    bytes: blockBytes(channel, n, opts.size),
  };
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
