// A block assembled from pieces (ledgerBlockOfPieces: the entry's bytes
// before the metadata, as a view into the entry data, then this node's
// metadata) is stored as the whole block would be — read back byte for byte,
// after a restart too — and on LMDB as a reference to the entry body without
// the pieces ever being joined into one buffer. Entry bodies written in
// successive batches (each in reused scratch: scratchBuffers.ts) all read back.

import { open } from 'lmdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { ledgerBlockOfPieces, RECENT_BLOCKS_KEPT, type EngineName, type LedgerBlock, type WalEnvironment } from '../../src/storage/index.js';
import { chainBlock, engines, openEnv, tempDirsPerTest } from './helpers.js';

const freshDir = tempDirsPerTest();
const CH = 'pieces';
const HEAD_BYTES = 200 * 1024;
const PREFIX_BYTES = 16;

afterEach(() => vi.restoreAllMocks());

/** Entry `index`: a prefix (as a block entry's tx ids), then the block's bytes before its metadata. */
function pieceEntry(index: number): Entry {
  const data = new Uint8Array(PREFIX_BYTES + HEAD_BYTES);
  data.fill(index % 251, 0, PREFIX_BYTES);
  data.set(chainBlock(CH, index - 1, { size: HEAD_BYTES }).bytes, PREFIX_BYTES);
  return { index, term: 1, type: EntryType.Normal, data };
}

const tailOf = (n: number): Uint8Array => new Uint8Array(90).fill(n + 1);

/** Block n from its entry's data (entry n + 1): head a view into that data, then its own tail. */
function piecesBlock(n: number, entryData: Uint8Array): LedgerBlock {
  const { bytes: _, ...fields } = chainBlock(CH, n, { size: HEAD_BYTES });
  const head = entryData.subarray(PREFIX_BYTES, PREFIX_BYTES + HEAD_BYTES);
  return ledgerBlockOfPieces({ ...fields, entryBody: { offset: PREFIX_BYTES, length: HEAD_BYTES } }, { head, tail: tailOf(n) });
}

function expected(n: number): Buffer {
  return Buffer.concat([chainBlock(CH, n, { size: HEAD_BYTES }).bytes, tailOf(n)]);
}

/** Entries 1..count, each persisted in its own batch, then their blocks appended. */
async function fill(env: WalEnvironment, count: number): Promise<void> {
  const { raft, ledger } = env.channel(CH);
  const persisted: Entry[] = [];
  for (let i = 1; i <= count; i++) {
    const e = pieceEntry(i);
    await raft.persistReady({ entries: [e], hardState: { term: 1, vote: 1, commit: i } });
    persisted.push(e);
  }
  for (let n = 0; n < count; n++) await ledger.append(piecesBlock(n, persisted[n]!.data));
}

async function reopened(engine: EngineName, dir: string, check: (env: WalEnvironment) => void | Promise<void>): Promise<void> {
  const env = openEnv(engine, dir);
  try {
    await check(env);
  } finally {
    await env.close();
  }
}

function expectBlocks(env: WalEnvironment, count: number): void {
  const { ledger } = env.channel(CH);
  expect(ledger.height).toBe(count);
  for (let n = 0; n < count; n++) expect(Buffer.compare(ledger.block(n).bytes, expected(n)), `block ${n}`).toBe(0);
}

describe('ledgerBlockOfPieces', () => {
  it('reads `bytes` as head ‖ tail, joined once', () => {
    const data = pieceEntry(1).data;
    const block = piecesBlock(0, data);
    expect(Buffer.compare(block.bytes, expected(0))).toBe(0);
    expect(block.bytes).toBe(block.bytes);
  });
});

for (const engine of engines) {
  describe(`blocks appended as pieces (${engine})`, () => {
    it('read back byte for byte, and after a restart; entry bodies of successive batches all intact', async () => {
      const dir = freshDir();
      await reopened(engine, dir, async (env) => {
        await fill(env, 5);
        expectBlocks(env, 5);
      });
      await reopened(engine, dir, (env) => {
        expectBlocks(env, 5);
        const { raft } = env.channel(CH);
        for (let i = 1; i <= 5; i++) expect(Buffer.compare(raft.entries(i, i + 1, Number.MAX_SAFE_INTEGER)[0]!.data, pieceEntry(i).data), `entry ${i}`).toBe(0);
      });
    });

    it('the last durable blocks read back as appended, their pieces unjoined; older ones from the engine, byte for byte', async () => {
      const count = RECENT_BLOCKS_KEPT + 3;
      await reopened(engine, freshDir(), async (env) => {
        const { raft, ledger } = env.channel(CH);
        const appended: LedgerBlock[] = [];
        for (let i = 1; i <= count; i++) {
          const e = pieceEntry(i);
          await raft.persistReady({ entries: [e], hardState: { term: 1, vote: 1, commit: i } });
          const block = piecesBlock(i - 1, e.data);
          appended.push(block);
          await ledger.append(block);
        }
        expect(ledger.height).toBe(count);
        for (let n = 0; n < count; n++) {
          const read = ledger.block(n);
          const recent = n >= count - RECENT_BLOCKS_KEPT;
          expect(read.pieces?.head, `block ${n}`).toBe(recent ? appended[n]!.pieces!.head : undefined);
          expect(Buffer.compare(read.bytes, expected(n)), `block ${n}`).toBe(0);
        }
      });
    });
  });
}

describe('blocks appended as pieces (native: stored as a reference, never joined)', () => {
  it('the ledger record holds the tail and a reference; the pieces are not joined into one buffer', async () => {
    const dir = freshDir();
    const concat = vi.spyOn(Buffer, 'concat');
    const heads = new Set<Uint8Array>();
    await reopened('native', dir, async (env) => {
      const { raft, ledger } = env.channel(CH);
      const e = pieceEntry(1);
      await raft.persistReady({ entries: [e], hardState: { term: 1, vote: 1, commit: 1 } });
      const block = piecesBlock(0, e.data);
      heads.add(block.pieces!.head);
      await ledger.append(block);
    });
    expect(concat.mock.calls.filter(([list]) => heads.has(list[0] as Uint8Array))).toHaveLength(0);
    const root = open<Buffer, string>({ path: dir, maxDbs: 8, encoding: 'binary', readOnly: true });
    try {
      const sizes = [...root.openDB<Buffer, [string, number]>({ name: 'ledger-blocks', encoding: 'binary' }).getRange()].map(({ value }) => value.length);
      expect(sizes).toHaveLength(1);
      expect(sizes[0]).toBeLessThan(1024);
    } finally {
      void root.close();
    }
  });
});
