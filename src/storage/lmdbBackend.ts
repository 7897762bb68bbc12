// The native engine: one LMDB environment per node. Sub-databases hold, keyed
// by [channel, ...]: raft entries by index (block entries' data apart, in
// entry bodies: lmdbEntryBodies.ts), per-channel meta (hard state, conf
// state, snapshot, log start, ledger summary) and blocks by number (their
// heads carry the tx ids: lmdbTxIndex.ts indexes the newest of them). One group-committed batch is one LMDB write
// transaction, committed with a sync (overlappingSync off) on lmdb-js's writer
// thread, so the main thread keeps ticking while the disk works.

import type { RootDatabase } from 'lmdb';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DropStep, RecoveredLedger, StorageBackend, TxIdCoverage, TxLocation } from './backend.js';
import { emptyRecoveredLedger } from './backend.js';
import { StorageCorruptError, type RecordLocation } from './errors.js';
import { withCommitReason } from './lmdbCommitError.js';
import { finishDropsSync, markerKeepsLedger, sweep } from './lmdbDrop.js';
import { emptyRecoveredLog, type RecoveredLog } from './memoryLog.js';
import { unseal } from './sealedValue.js';
import { LmdbTxIndex } from './lmdbTxIndex.js';
import type { TxIdHorizonSettings } from './txIdHorizon.js';
import { ScratchBuffers } from './scratchBuffers.js';
import { planWrites, replayPlan, type IndexKey, type LmdbDatabases, type MetaKey, type MetaName, type TxKey } from './lmdbWritePlan.js';
import * as shapes from './storedShapes.js';
import type { Entry } from '../raft/index.js';
import type { LedgerBlock, WalOp } from './walOps.js';

/**
 * lmdb-js is a native addon: loaded on first use, so a node running the
 * native-free engine never loads it (nor needs a prebuilt binary for its platform).
 */
let lmdbModule: typeof import('lmdb') | undefined;
function lmdb(): typeof import('lmdb') {
  lmdbModule ??= createRequire(import.meta.url)('lmdb') as typeof import('lmdb');
  return lmdbModule;
}

export interface LmdbBackendOptions {
  /** The directory held an environment: its data file must be there. */
  readonly mustExist: boolean;
  /** Keys a channel drop deletes per transaction (lmdbDrop.ts). */
  readonly dropChunkKeys?: number | undefined;
  /** Tests only: called at each durable step of a channel drop. */
  readonly dropStepHook?: ((step: DropStep) => void) | undefined;
  /** How many of each channel's newest tx ids txLocation finds (txIdHorizon.ts). */
  readonly txIdHorizon: TxIdHorizonSettings;
}

/** The LMDB map's address space reserved at open: 64 GiB (virtual, not memory; the file is not preallocated). A larger database is remapped as before. */
const MAP_SIZE_BYTES = 64 * 1024 ** 3;

export class LmdbBackend implements StorageBackend {
  readonly engine = 'native' as const;
  readonly #file: string;
  readonly #root: RootDatabase<Buffer, string>;
  readonly #dbs: LmdbDatabases;
  /** Ledger summaries as of the last write: kept so a block op need not read them back. */
  readonly #ledgers = new Map<string, RecoveredLedger>();
  /** PlannerState.bodies: entry data whose bodies are on disk, not yet referred to by a block. */
  readonly #bodies = new Map<string, Map<number, Uint8Array>>();
  readonly #txIndex: LmdbTxIndex;
  readonly #scratch = new ScratchBuffers();
  /** Channels with a 'known' marker on disk (loaded lazily, then kept current). */
  #known: Set<string> | undefined;
  readonly #dropChunkKeys: number;
  readonly #dropStepHook: ((step: DropStep) => void) | undefined;
  /** The horizon's txIdsMax. */
  readonly txIdsCovered: number;

  private constructor(
    readonly dir: string,
    options: LmdbBackendOptions,
  ) {
    this.#dropChunkKeys = options.dropChunkKeys ?? 1000;
    this.#dropStepHook = options.dropStepHook;
    this.#txIndex = new LmdbTxIndex(options.txIdHorizon);
    this.txIdsCovered = options.txIdHorizon.txIdsMax;
    this.#file = join(dir, 'data.mdb');
    // overlappingSync off: a commit resolves only after its sync, which is what
    // the group commit times and what "durable" means to Raft.
    // eventTurnBatching off: every write here is one awaited transaction per
    // sync, so lmdb-js's own per-event-turn batch groups nothing; and that
    // batch's commit promise is one nobody holds, so a failed commit (a full
    // disk) rejected it unhandled and killed the process instead of halting
    // its channels.
    // mapSize: address space reserved up front (the file grows only as written),
    // so lmdb-js never remaps as the ledger grows; each remap doubled the map and
    // kept the old one mapped, and the pages read through it stayed resident.
    this.#root = lmdb().open<Buffer, string>({
      path: dir,
      maxDbs: 8,
      overlappingSync: false,
      eventTurnBatching: false,
      encoding: 'binary',
      cache: false,
      mapSize: MAP_SIZE_BYTES,
    });
    const sub = { encoding: 'binary' as const, cache: false };
    this.#dbs = {
      entries: this.#root.openDB<Buffer, IndexKey>({ name: 'raft-entries', ...sub }),
      bodies: this.#root.openDB<Buffer, IndexKey>({ name: 'raft-entry-bodies', ...sub }),
      meta: this.#root.openDB<Buffer, MetaKey>({ name: 'channel-meta', ...sub }),
      blocks: this.#root.openDB<Buffer, IndexKey>({ name: 'ledger-blocks', ...sub }),
      // Per-transaction index records: nothing writes them now, a channel drop still sweeps those an environment holds.
      txIndex: this.#root.openDB<Buffer, TxKey>({ name: 'ledger-txids', ...sub }),
    };
  }

  /** Opens (creating if needed) the environment in `dir`; an unreadable one is a StorageCorruptError. */
  static open(dir: string, options: LmdbBackendOptions): LmdbBackend {
    checkMetaPage(join(dir, 'data.mdb'), options.mustExist);
    let backend: LmdbBackend;
    try {
      backend = new LmdbBackend(dir, options);
    } catch (err) {
      throw new StorageCorruptError({ file: join(dir, 'data.mdb') }, `cannot open the LMDB environment: ${String(err)}`, { cause: err });
    }
    // A drop a crash interrupted is finished before anything reads the channel.
    finishDropsSync(backend.#root, backend.#dbs, backend.#dropChunkKeys, backend.#file);
    return backend;
  }

  channels(): string[] {
    return [...this.#knownChannels()];
  }

  async writeBatch(ops: readonly WalOp[]): Promise<void> {
    // With overlappingSync off the commit promise is the flushed promise
    // (lmdb-js sets commit.flushed = commit): it resolves after LMDB's
    // mdb_txn_commit synced the data file. Awaiting db.flushed as well only
    // added a turn of latency (5x fewer syncs/s for a single writer).
    // The plan's large values live in scratch buffers until the transaction settled: LMDB has copied them by then.
    const lease = this.#scratch.lease();
    try {
      const writes = planWrites(ops, this.#dbs, { known: this.#knownChannels(), ledgers: this.#ledgers, bodies: this.#bodies }, lease.alloc);
      try {
        await this.#root.transaction(() => replayPlan(writes));
      } catch (err) {
        throw await withCommitReason(err);
      }
    } finally {
      lease.release();
    }
    this.#txIndex.committed(ops);
    if (this.#dropStepHook !== undefined && ops.some((op) => op.kind === 'dropChannel')) this.#dropStepHook('intent-durable');
  }

  async finishDrop(channel: string): Promise<void> {
    const marker = this.#dbs.meta.get([channel, 'dropping']);
    if (marker === undefined) return;
    const keepLedger = markerKeepsLedger(marker, channel, this.#file);
    await sweep(this.#root, this.#dbs, channel, keepLedger, this.#dropChunkKeys, this.#file, () => this.#dropStepHook?.('sweep-step-durable'));
  }

  recoverLog(channel: string): RecoveredLog {
    const hs = this.#readMeta(channel, 'hardState', shapes.hardStateFromWire);
    const snapshot = this.#readMeta(channel, 'snapshot', shapes.snapshotFromWire);
    const cs = this.#readMeta(channel, 'confState', shapes.confStateFromWire);
    const start = this.#readMeta(channel, 'logStart', shapes.logStartFromWire) ?? emptyRecoveredLog.start;
    const raftId = this.#readMeta(channel, 'raftId', shapes.raftIdFromWire);
    const entries: Entry[] = [];
    const bodies = new Map<number, Uint8Array>();
    let expected = start.index + 1;
    for (const { key, value } of this.#dbs.entries.getRange({ start: [channel, start.index + 1], end: [channel, Number.MAX_SAFE_INTEGER] })) {
      const index = key[1];
      if (index !== expected) {
        throw new StorageCorruptError(this.#at(channel, expected, 'raft index'), `entry missing: the next stored entry is ${index}`);
      }
      const at = this.#at(channel, index, 'raft index');
      const readBody = (): Uint8Array => {
        const body = this.#readBody(channel, index);
        bodies.set(index, body);
        return body;
      };
      entries.push(this.#decode(value, at, (v) => shapes.entryFromWire(v, index, readBody)));
      expected += 1;
    }
    this.#bodies.set(channel, bodies);
    return {
      hardState: hs ?? emptyRecoveredLog.hardState,
      snapshot: snapshot ?? emptyRecoveredLog.snapshot,
      confState: cs ?? snapshot?.metadata.confState ?? emptyRecoveredLog.confState,
      start,
      entries,
      ...(raftId !== undefined && { raftId }),
    };
  }

  recoverLedger(channel: string): RecoveredLedger {
    const summary = this.#readMeta(channel, 'ledger', shapes.ledgerSummaryFromWire) ?? emptyRecoveredLedger;
    // The summary and the blocks are written in the same transactions: a block
    // past the height, or a missing last block, means the file was damaged.
    const beyond = this.#dbs.blocks.getKeys({ start: [channel, summary.height], end: [channel, Number.MAX_SAFE_INTEGER], limit: 1 });
    for (const key of beyond) {
      throw new StorageCorruptError(this.#at(channel, key[1], 'block number'), `block stored beyond the recorded height ${summary.height}`);
    }
    if (summary.height > 0) this.readBlock(channel, summary.height - 1);
    this.#ledgers.set(channel, summary);
    return summary;
  }

  readBlock(channel: string, number: number): LedgerBlock {
    const at = this.#at(channel, number, 'block number');
    const raw = this.#dbs.blocks.get([channel, number]);
    if (raw === undefined) throw new StorageCorruptError(at, 'block missing below the ledger height');
    const block = this.#decode(raw, at, (v) => {
      if (Array.isArray(v) && v.length === 4) return this.#blockFromBody(channel, v, at);
      const [head, blockBytes] = Array.isArray(v) && v.length === 2 ? v : [undefined, undefined];
      if (!(blockBytes instanceof Uint8Array)) throw new shapes.ShapeError('block record is not [head, bytes] nor [head, tail, offset, length]');
      return shapes.blockFromWire(head, blockBytes);
    });
    if (block.number !== number) throw new StorageCorruptError(at, `block record says number ${block.number}`);
    return block;
  }

  /** The bytes of a block stored as a reference to its entry's body: the body's slice, then the record's tail. */
  #blockFromBody(channel: string, record: unknown[], at: RecordLocation): LedgerBlock {
    const [head, tail, offset, length] = record;
    if (!(tail instanceof Uint8Array) || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) {
      throw new shapes.ShapeError('block record is not [head, tail, offset, length]');
    }
    const block = shapes.blockFromWire(head, tail);
    const raftIndex = block.raftIndex;
    const body = this.#readBody(channel, raftIndex);
    const from = offset as number;
    const to = from + (length as number);
    if (from < 0 || to > body.length) {
      throw new StorageCorruptError(at, `block refers to bytes [${from}, ${to}) of entry ${raftIndex}, whose data has ${body.length}`);
    }
    return { ...block, bytes: Buffer.concat([body.subarray(from, to), tail]) };
  }

  /** The data of entry `index` stored apart; throws StorageCorruptError if missing or damaged. */
  #readBody(channel: string, index: number): Uint8Array {
    const at = this.#at(channel, index, 'raft index');
    const raw = this.#dbs.bodies.get([channel, index]);
    if (raw === undefined) throw new StorageCorruptError(at, 'entry body missing');
    return this.#decode(
      raw,
      at,
      (v) => {
        if (!(v instanceof Uint8Array)) throw new shapes.ShapeError('entry body is not bytes');
        return v;
      },
      'entry body',
    );
  }

  txLocation(channel: string, txId: string, hash?: number): TxLocation | undefined {
    return this.#txIndex.locate(
      channel,
      txId,
      {
        height: () => this.#readMeta(channel, 'ledger', shapes.ledgerSummaryFromWire)?.height ?? 0,
        txIdsOf: (number) => this.#readBlockTxIds(channel, number).txIds,
      },
      hash,
    );
  }

  txIdCoverage(): Map<string, TxIdCoverage> {
    return this.#txIndex.coverage();
  }

  /**
   * Block `number`'s tx ids from its record alone: a block that refers to its
   * entry's body (~500 KB) is not joined with it. A leader confirms a tx-id hash
   * hit here for about one new tx id in 4,000 at a million committed ids, on a
   * block anywhere in its horizon: reading the body too touched half a megabyte
   * of the memory map per hit, which stayed resident, and the index's first
   * build reads every block of the horizon.
   */
  #readBlockTxIds(channel: string, number: number): { number: number; txIds: readonly string[] } {
    const at = this.#at(channel, number, 'block number');
    const raw = this.#dbs.blocks.get([channel, number]);
    if (raw === undefined) throw new StorageCorruptError(at, 'block missing below the ledger height');
    const block = this.#decode(raw, at, (v) => {
      const record = Array.isArray(v) && (v.length === 4 || v.length === 2) ? v : [undefined, undefined];
      if (!(record[1] instanceof Uint8Array)) throw new shapes.ShapeError('block record is not [head, bytes] nor [head, tail, offset, length]');
      return shapes.blockFromWire(record[0], record[1]);
    });
    if (block.number !== number) throw new StorageCorruptError(at, `block record says number ${block.number}`);
    return block;
  }

  async close(): Promise<void> {
    await this.#root.close();
  }

  #knownChannels(): Set<string> {
    if (this.#known === undefined) {
      this.#known = new Set();
      // A channel with only a drop marker left is not stored (its sweep finishes at open).
      for (const key of this.#dbs.meta.getKeys()) if (key[1] !== 'dropping') this.#known.add(key[0]);
    }
    return this.#known;
  }

  #readMeta<T>(channel: string, name: MetaName, decode: (v: unknown) => T): T | undefined {
    const raw = this.#dbs.meta.get([channel, name]);
    if (raw === undefined) return undefined;
    return this.#decode(raw, { file: this.#file, channel, what: 'meta' }, decode, name);
  }

  #decode<T>(raw: Uint8Array, at: RecordLocation, decode: (v: unknown) => T, name?: string): T {
    const what = name === undefined ? '' : `${name}: `;
    const unsealed = unseal(raw);
    if (!unsealed.ok) throw new StorageCorruptError(at, `${what}${unsealed.reason}`);
    try {
      return decode(unsealed.value);
    } catch (err) {
      if (err instanceof shapes.ShapeError) throw new StorageCorruptError(at, `${what}${err.message}`);
      throw err;
    }
  }

  #at(channel: string, index: number, what: RecordLocation['what']): RecordLocation {
    return { file: this.#file, channel, index, what };
  }
}

/** LMDB's meta page magic (MDB_MAGIC), after the 24-byte page header of page 0 in lmdb-js's build. */
const lmdbMetaMagic = 0xbeefc0de;
const lmdbMetaMagicOffset = 24;

/**
 * lmdb-js crashes the process (SIGSEGV) on a data file that is not LMDB, so
 * the first meta page is checked before opening: an unreadable environment
 * must be an error naming the file, not a dead process. (Damage deeper in the
 * B-tree is not caught here: LMDB has no page checksums; values carry a crc.)
 */
function checkMetaPage(file: string, mustExist: boolean): void {
  let head: Buffer;
  try {
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) {
      if (mustExist) throw new StorageCorruptError({ file }, 'the LMDB data file is missing or empty, but this directory held an environment');
      return;
    }
    const fd = fs.openSync(file, 'r');
    try {
      head = Buffer.alloc(lmdbMetaMagicOffset + 4);
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (err instanceof StorageCorruptError) throw err;
    throw new StorageCorruptError({ file }, `cannot read the LMDB data file: ${String(err)}`, { cause: err });
  }
  if (head.readUInt32LE(lmdbMetaMagicOffset) !== lmdbMetaMagic) {
    throw new StorageCorruptError({ file, index: 0, what: 'byte offset' }, 'cannot open the LMDB environment: not an LMDB data file (no meta page magic)');
  }
}
