// Turns a batch of WalOps into LMDB puts and removes BEFORE the write
// transaction opens. lmdb-js commits an asynchronous transaction's writes
// even when its callback throws, so everything that can throw (encoding,
// sealing, reads) happens here, and the callback only replays the plan: the
// batch stays all or nothing.
//
// A block is one put: its head (tx ids included) and bytes in one sealed
// record, or, for a block from an entry whose body this node stored, its head,
// a reference to the body and the bytes after it (lmdbEntryBodies.ts). There is no per-transaction record: a B-tree insert per tx id cost
// ~14 µs of the main thread per transaction on every node, more than the
// whole budget of a follower; lmdbTxIndex.ts answers txLocation from the
// block heads instead.

import type { Database } from 'lmdb';
import type { RecoveredLedger } from './backend.js';
import { emptyRecoveredLedger } from './backend.js';
import { assertTruncationAboveLedger, blockRecord, entryRecords, removeEntries } from './lmdbEntryBodies.js';
import { seal, unseal } from './sealedValue.js';
import * as shapes from './storedShapes.js';
import type { LedgerBlock, WalOp } from './walOps.js';

/**
 * 'known' marks a channel as stored, whatever else it has written;
 * 'dropping' marks a channel drop whose bulk deletion is not finished (lmdbDrop.ts).
 */
export type MetaName = 'known' | 'hardState' | 'confState' | 'raftId' | 'snapshot' | 'logStart' | 'ledger' | 'dropping';
export type IndexKey = [string, number];
export type MetaKey = [string, MetaName];
export type TxKey = [string, string];

export interface LmdbDatabases {
  readonly entries: Database<Buffer, IndexKey>;
  /** Data of normal entries, apart from their records (lmdbEntryBodies.ts). */
  readonly bodies: Database<Buffer, IndexKey>;
  readonly meta: Database<Buffer, MetaKey>;
  readonly blocks: Database<Buffer, IndexKey>;
  readonly txIndex: Database<Buffer, TxKey>;
}

/** One write of the plan; `value` undefined = remove. */
export type LmdbWrite =
  | { readonly db: Database<Buffer, IndexKey>; readonly key: IndexKey; readonly value: Buffer | undefined }
  | { readonly db: Database<Buffer, MetaKey>; readonly key: MetaKey; readonly value: Buffer | undefined }
  | { readonly db: Database<Buffer, TxKey>; readonly key: TxKey; readonly value: Buffer | undefined };

/** State the planner reads and advances as it goes (it runs for one batch at a time). */
export interface PlannerState {
  /** Channels with a 'known' marker, including those this plan adds. */
  readonly known: Set<string>;
  /** Ledger summaries as of the end of the plan so far. */
  readonly ledgers: Map<string, RecoveredLedger>;
  /**
   * Per channel, the data of the entries whose bodies are on disk (or put by
   * the plan so far) and not yet referred to by a block nor removed: the
   * buffers the Raft log holds in memory anyway. A block's reference is
   * checked against these bytes, without reading the body back.
   */
  readonly bodies: Map<string, Map<number, Uint8Array>>;
}

/**
 * `alloc` gives the buffers of the large values (entry bodies, block
 * records): they must stay untouched until the plan's transaction settled
 * (scratchBuffers.ts).
 */
export function planWrites(ops: readonly WalOp[], dbs: LmdbDatabases, state: PlannerState, alloc?: (size: number) => Buffer): LmdbWrite[] {
  let writes: LmdbWrite[] = [];
  for (const op of ops) {
    const ch = op.channel;
    if (op.kind === 'dropChannel') {
      writes = planDropMarker(ch, op.keepLedger, writes, dbs, state);
      continue;
    }
    if (!state.known.has(ch)) {
      writes.push({ db: dbs.meta, key: [ch, 'known'], value: seal(1) });
      state.known.add(ch);
    }
    const meta = (name: MetaName, value: unknown): void => void writes.push({ db: dbs.meta, key: [ch, name], value: seal(value) });
    const remove = (from: number, to: number): void => {
      for (const r of removeEntries(ch, from, to, ledgerOf(ch, dbs, state).lastRaftIndex, dbs)) {
        writes.push({ ...r, value: undefined });
        if (r.db === dbs.entries) state.bodies.get(ch)?.delete(r.key[1]);
      }
    };
    switch (op.kind) {
      case 'entries':
        assertTruncationAboveLedger(ch, op.removeFrom, op.removeTo, ledgerOf(ch, dbs, state).lastRaftIndex);
        for (const e of op.entries) {
          const { record, body } = entryRecords(e, alloc);
          writes.push({ db: dbs.entries, key: [ch, e.index], value: record });
          if (body === undefined) continue;
          writes.push({ db: dbs.bodies, key: [ch, e.index], value: body });
          let known = state.bodies.get(ch);
          if (known === undefined) state.bodies.set(ch, (known = new Map()));
          known.set(e.index, e.data);
        }
        remove(op.removeFrom, op.removeTo);
        break;
      case 'hardState':
        meta('hardState', shapes.hardStateToWire(op.hardState));
        break;
      case 'confState':
        meta('confState', shapes.confStateToWire(op.confState));
        break;
      case 'raftId':
        meta('raftId', shapes.raftIdToWire(op.record));
        break;
      case 'snapshot':
        meta('snapshot', shapes.snapshotToWire(op.snapshot));
        meta('confState', shapes.confStateToWire(op.snapshot.metadata.confState));
        break;
      case 'compact':
        remove(op.removeFrom, op.start.index);
        meta('logStart', shapes.logStartToWire(op.start));
        break;
      case 'resetLog': {
        remove(op.removeFrom, op.removeTo);
        const m = op.snapshot.metadata;
        meta('snapshot', shapes.snapshotToWire(op.snapshot));
        meta('confState', shapes.confStateToWire(m.confState));
        meta('logStart', shapes.logStartToWire({ index: m.index, term: m.term }));
        break;
      }
      case 'block':
        planBlock(ch, op.block, dbs, state, writes, alloc);
        meta('ledger', shapes.ledgerSummaryToWire(state.ledgers.get(ch)!));
        break;
    }
  }
  return writes;
}

/** The channel's ledger summary as of the plan so far (read from disk for a channel this process has not recovered). */
export function ledgerOf(ch: string, dbs: LmdbDatabases, state: PlannerState): RecoveredLedger {
  let ledger = state.ledgers.get(ch);
  if (ledger === undefined) {
    const raw = dbs.meta.get([ch, 'ledger']);
    ledger = raw === undefined ? emptyRecoveredLedger : summaryOf(raw, ch);
    state.ledgers.set(ch, ledger);
  }
  return ledger;
}

function summaryOf(raw: Uint8Array, ch: string): RecoveredLedger {
  const unsealed = unseal(raw);
  if (!unsealed.ok) throw new Error(`channel "${ch}": ledger summary: ${unsealed.reason}`);
  return shapes.ledgerSummaryFromWire(unsealed.value);
}

function planBlock(ch: string, block: LedgerBlock, dbs: LmdbDatabases, state: PlannerState, writes: LmdbWrite[], alloc?: (size: number) => Buffer): void {
  const known = state.bodies.get(ch);
  writes.push({ db: dbs.blocks, key: [ch, block.number], value: blockRecord(block, known?.get(block.raftIndex), alloc) });
  // One block per entry: the ledger owns the body from now on, nothing else refers to it.
  known?.delete(block.raftIndex);
  const before = ledgerOf(ch, dbs, state);
  state.ledgers.set(ch, {
    height: block.number + 1,
    lastHeaderHash: block.headerHash,
    lastConfig: block.isConfig ? block.number : before.lastConfig,
    lastRaftIndex: block.raftIndex,
  });
}

/** Inside the write transaction: nothing here encodes or reads, so nothing throws but the engine. */
export function replayPlan(writes: readonly LmdbWrite[]): void {
  for (const w of writes) {
    // The union pairs each database with its own key type; one signature to call them all.
    const db = w.db as Database<Buffer, (string | number)[]>;
    if (w.value === undefined) db.removeSync(w.key);
    else db.putSync(w.key, w.value);
  }
}

/** Meta records of the Raft state (the rest, 'known' and 'ledger', belong to the ledger side). */
export const raftMetaNames: readonly MetaName[] = ['hardState', 'confState', 'raftId', 'snapshot', 'logStart'];

/**
 * Phase 1, planned inside a batch: earlier writes of the channel in this
 * batch are taken out (they would outlive the drop), the meta records go, the
 * marker is put. Returns the new plan.
 */
export function planDropMarker(ch: string, keepLedger: boolean, planned: LmdbWrite[], dbs: LmdbDatabases, state: PlannerState): LmdbWrite[] {
  const recorded = state.ledgers.get(ch);
  // keepLedger on a channel without blocks leaves nothing: it is a full drop.
  const full = !keepLedger || (recorded !== undefined ? recorded.height === 0 : !dbs.meta.doesExist([ch, 'ledger']));
  const goes = (w: LmdbWrite): boolean => {
    if (w.key[0] !== ch) return false;
    if (full || w.db === dbs.entries || (w.db === dbs.meta && raftMetaNames.includes(w.key[1] as MetaName))) return true;
    // Bodies at or below the ledger's Raft index stay with the blocks that may refer to them.
    return w.db === dbs.bodies && (w.key[1] as number) > ledgerOf(ch, dbs, state).lastRaftIndex;
  };
  const writes = planned.filter((w) => !goes(w));
  const metaGoing = full ? ([...raftMetaNames, 'ledger', 'known'] as const) : raftMetaNames;
  for (const name of metaGoing) if (dbs.meta.doesExist([ch, name])) writes.push({ db: dbs.meta, key: [ch, name], value: undefined });
  writes.push({ db: dbs.meta, key: [ch, 'dropping'], value: seal(full ? 0 : 1) });
  state.bodies.delete(ch);
  if (full) {
    state.known.delete(ch);
    state.ledgers.set(ch, emptyRecoveredLedger);
  }
  return writes;
}
