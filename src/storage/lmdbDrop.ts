// A channel drop on LMDB, in two phases, so that a channel of millions of
// blocks never holds the other channels' syncs up for long:
//   1. marker: inside the group-committed batch that carries the dropChannel
//      op, one transaction removes the channel's small meta records (hard
//      state, conf state, snapshot, log start; and for a full drop the ledger
//      summary and the 'known' mark) and puts [channel, 'dropping']. From its
//      commit the channel reads as dropped: recovery would see no log start,
//      no ledger summary, and storedChannels() no longer lists it;
//   2. sweep: the channel's entries and the entry bodies the ledger does not
//      own (lmdbEntryBodies.ts; for a full drop all of them, its blocks, and the
//      per-transaction index records an environment may hold) are removed `dropChunkKeys` keys per transaction, each its own
//      commit, interleaved with the group commit's batches; the last one
//      removes the marker.
// A crash before 1 commits leaves the channel whole; after it, the next open
// finishes the sweep before anything reads the channel (finishDropsSync).
// Nothing writes the channel's keys during the sweep: WalEnvironment refuses
// to open a channel while its drop runs.

import type { Database, RootDatabase } from 'lmdb';
import { StorageCorruptError } from './errors.js';
import type { IndexKey, LmdbDatabases, LmdbWrite, TxKey } from './lmdbWritePlan.js';
import { replayPlan } from './lmdbWritePlan.js';
import { unseal } from './sealedValue.js';
import { ledgerSummaryFromWire } from './storedShapes.js';

/** Channels whose sweep is not finished, with whether their ledger stays. */
export function unfinishedDrops(dbs: LmdbDatabases, file: string): Array<{ channel: string; keepLedger: boolean }> {
  const found: Array<{ channel: string; keepLedger: boolean }> = [];
  for (const { key, value } of dbs.meta.getRange()) {
    if (key[1] === 'dropping') found.push({ channel: key[0], keepLedger: markerKeepsLedger(value, key[0], file) });
  }
  return found;
}

/**
 * The marker's value: 1 = the ledger stays, 0 = it goes. A damaged marker
 * stops the node: guessing would either delete a ledger meant to stay or
 * leave blocks without their summary.
 */
export function markerKeepsLedger(raw: Uint8Array, channel: string, file: string): boolean {
  const unsealed = unseal(raw);
  if (!unsealed.ok || (unsealed.value !== 0 && unsealed.value !== 1)) {
    throw new StorageCorruptError({ file, channel, what: 'meta' }, `dropping: ${unsealed.ok ? 'not 0 or 1' : unsealed.reason}`);
  }
  return unsealed.value === 1;
}

/** Phase 2, one step: the next removals of the sweep (at most `maxKeys`, plus the marker on the last one). */
export function nextSweep(dbs: LmdbDatabases, ch: string, keepLedger: boolean, maxKeys: number, file: string): { writes: LmdbWrite[]; last: boolean } {
  const writes: LmdbWrite[] = [];
  const sources: Array<Database<Buffer, IndexKey> | Database<Buffer, TxKey>> = keepLedger
    ? [dbs.entries, dbs.bodies]
    : [dbs.entries, dbs.bodies, dbs.blocks, dbs.txIndex];
  // The ledger that stays keeps the bodies its blocks may refer to.
  const ledgerOwnsUpTo = keepLedger ? ledgerRaftIndex(dbs, ch, file) : 0;
  for (const db of sources) {
    const from = db === dbs.bodies ? ledgerOwnsUpTo + 1 : undefined;
    for (const key of keysOf(db as Database<Buffer, IndexKey | TxKey>, ch, from)) {
      if (writes.length >= maxKeys) return { writes, last: false };
      writes.push({ db: db as Database<Buffer, IndexKey>, key: key as IndexKey, value: undefined });
    }
  }
  writes.push({ db: dbs.meta, key: [ch, 'dropping'], value: undefined });
  return { writes, last: true };
}

/** Phase 2, asynchronously: one transaction per step, between the group commit's batches. */
export async function sweep(
  root: RootDatabase<Buffer, string>,
  dbs: LmdbDatabases,
  ch: string,
  keepLedger: boolean,
  maxKeys: number,
  file: string,
  onStep?: () => void,
): Promise<void> {
  for (;;) {
    const { writes, last } = nextSweep(dbs, ch, keepLedger, maxKeys, file);
    await root.transaction(() => replayPlan(writes));
    onStep?.();
    if (last) return;
  }
}

/** Phase 2 at open, before anything reads: the same steps, synchronously. */
export function finishDropsSync(root: RootDatabase<Buffer, string>, dbs: LmdbDatabases, maxKeys: number, file: string): string[] {
  const drops = unfinishedDrops(dbs, file);
  for (const { channel, keepLedger } of drops) {
    for (;;) {
      const { writes, last } = nextSweep(dbs, channel, keepLedger, maxKeys, file);
      root.transactionSync(() => replayPlan(writes));
      if (last) break;
    }
  }
  return drops.map((d) => d.channel);
}

/** The Raft index of the last block of the channel's ledger (0 if none). */
function ledgerRaftIndex(dbs: LmdbDatabases, ch: string, file: string): number {
  const raw = dbs.meta.get([ch, 'ledger']);
  if (raw === undefined) return 0;
  const unsealed = unseal(raw);
  if (!unsealed.ok) throw new StorageCorruptError({ file, channel: ch, what: 'meta' }, `ledger: ${unsealed.reason}`);
  return ledgerSummaryFromWire(unsealed.value).lastRaftIndex;
}

/** Every stored key of `channel` in `db` (keys are [channel, ...]; a channel's keys are contiguous), from [channel, from] when given. */
function* keysOf<K extends IndexKey | TxKey>(db: Database<Buffer, K>, channel: string, from?: number): Generator<K> {
  const start = from === undefined ? [channel] : [channel, from];
  for (const key of db.getKeys({ start: start as unknown as K })) {
    if (key[0] !== channel) return;
    yield key;
  }
}
