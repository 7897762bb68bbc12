// Storage front door: one option picks the engine. `native` = LMDB (lmdb-js,
// a native addon); `native-free` = append-only segment files in plain
// JavaScript. Both give the same WalEnvironment, Storage and ledger behaviour.
//
// Usage, one environment per node:
//   const env = openWalEnvironment({ dir, engine, logger, electionTimeoutMs });
//   env.openStoredChannels();                 // start-up: a damaged record stops here
//   const { raft, ledger } = env.channel(id); // raft: the Storage given to RawNode
//   Ready loop:  const rd = node.ready();
//                await raft.persistReady(rd); // durable (group-committed) before...
//                send(rd.messages);           // ...anything that depends on it is sent
//                for each committed block: await ledger.append(block) ('duplicate' = replay)
//                node.advance(rd);
//   Snapshot:    await raft.takeSnapshot(appliedIndex, confState, lastBlockBytes);
//   Raft id:     await raft.recordRaftId({ raftId, configBlock }) (re-onboarding); raft.raftId reads it back
//   Deliver:     await ledger.waitForBlock(n, signal); ledger.block(n) / ledger.blocks(lo, hi)
//   Metrics:     env.stats.histogram() (consensus_etcdraft_data_persist_duration), env.stats.syncCount,
//                env.txIdCoverage() (what each channel's duplicate horizon covers)
//
// Channel lifecycle. A channel's storage is created by its first write and is
// "in use" from env.channel(id) until `await env.releaseChannel(id)` (after
// its Chain, block puller and Deliver streams stopped; later writes through it
// throw ChannelReleasedError). A released channel can be dropped:
//   await env.dropChannel(id, { keepLedger: false }) // channel removed from the node: all of it
//   await env.dropChannel(id, { keepLedger: true })  // re-onboarding: Raft state only, blocks stay
// (ChannelInUseError while it is open). The drop is durable and atomic when
// it resolves, a crash leaves the channel whole or dropped, and the other
// channels keep appending meanwhile (it is one op of the shared group commit).
// Then env.channel(id) gives empty storage (or one holding only the ledger) and
// storedChannels() lists the channel only if its ledger was kept. On LMDB the
// keys are swept in small transactions and the space reused; the native-free
// engine reclaims the Raft records at its next WAL checkpoint and the blocks by
// rewriting the closed ledger segments that are at least half dead (blocks in
// the segment still being appended to, or in mostly live segments, stay as
// dead bytes until then).

import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { FileBackend } from '../../native-free/storage/fileBackend.js';
import type { DropStep, EngineName, StorageBackend } from './backend.js';
import { DirLock } from './dirLock.js';
import { checkMarker, writeMarker } from './envMarker.js';
import { WalEnvironment } from './environment.js';
import { StorageOptionsError } from './errors.js';
import type { SyncInfo } from './groupCommit.js';
import { LmdbBackend } from './lmdbBackend.js';
import { TX_ID_HORIZON_DEFAULT, TX_ID_HORIZON_MAX } from './txIdHorizon.js';

export { WalEnvironment, type ChannelStorage } from './environment.js';
export { DurableRaftStorage, type ReadyToPersist } from './durableStorage.js';
export { BlockLedger, RECENT_BLOCKS_KEPT, type AppendOutcome } from './ledger.js';
export type { BlockPieces, EntryBodySlice, LedgerBlock, RaftIdRecord } from './walOps.js';
export { ledgerBlockOfPieces } from './walOps.js';
export { ledgerBlockFromFabric, ledgerBlockOfDecoded } from './fabricBlock.js';
export type { EngineName, TxIdCoverage, TxLocation } from './backend.js';
export { TX_ID_HORIZON_DEFAULT, TX_ID_HORIZON_MAX, TxIdHorizon } from './txIdHorizon.js';
export { txIdHash } from './txIdHashes.js';
export type { SyncInfo } from './groupCommit.js';
export type { DropStep } from './backend.js';
export { persistDurationBucketsSeconds, persistDurationMetricName, type SyncHistogram } from './syncStats.js';
export * from './errors.js';
export { StorageLockedError } from './dirLock.js';

export interface WalEnvironmentOptions {
  /** Directory of the node's storage (created if missing). */
  readonly dir: string;
  readonly engine?: EngineName | undefined;
  readonly logger: Logger;
  /** Default 5000 (Fabric: tick_interval 500 ms x election_tick 10). */
  readonly electionTimeoutMs?: number | undefined;
  /** Default 4, as Fabric's SnapshotCatchUpEntries. */
  readonly snapshotCatchUpEntries?: number | undefined;
  /** Default 64 MiB: one sync writes at most this much (one submission always fits). */
  readonly batchMaxBytes?: number | undefined;
  /** native-free only: a segment file is closed past this size. Default 64 MiB. */
  readonly segmentMaxBytes?: number | undefined;
  /** Tests only: a monotonic clock in ms (default performance.now). */
  readonly clock?: (() => number) | undefined;
  /** Tests only: awaited inside every timed sync (gate or slow syncs). */
  readonly syncHook?: ((info: SyncInfo) => Promise<void>) | undefined;
  /** native only: a channel drop deletes at most this many keys per LMDB transaction (default 1000), so other channels' syncs wait little. */
  readonly dropChunkKeys?: number | undefined;
  /** Tests only: called at each durable step of a channel drop (crash tests kill there). */
  readonly dropStepHook?: ((step: DropStep) => void) | undefined;
  /**
   * The duplicate horizon: how many of each channel's newest committed tx ids
   * txLocation finds, at least (default TX_ID_HORIZON_DEFAULT, at most
   * TX_ID_HORIZON_MAX); older tx ids are not found (txIdHorizon.ts).
   */
  readonly txIdHorizon?: number | undefined;
  /** Tests only: the tx id hash of the duplicate horizon (a constant forces collisions). */
  readonly txIdHash?: ((txId: string) => number) | undefined;
}

const MiB = 1024 * 1024;

function positiveInt(value: number | undefined, fallback: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new StorageOptionsError(`options.${name} must be an integer ${range}, got ${value}`);
  }
  return value;
}

/**
 * Opens the node's storage environment (one per process and directory: a
 * second open throws StorageLockedError); throws StorageCorruptError if what
 * is on disk is unreadable.
 */
export function openWalEnvironment(options: WalEnvironmentOptions): WalEnvironment {
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw new StorageOptionsError('options.dir must be a directory path');
  const engine = options.engine ?? 'native';
  if (engine !== 'native' && engine !== 'native-free') {
    throw new StorageOptionsError(`options.engine must be 'native' or 'native-free', got ${String(engine)}`);
  }
  const settings = {
    logger: options.logger,
    electionTimeoutMs: positiveInt(options.electionTimeoutMs, 5000, 'electionTimeoutMs'),
    snapshotCatchUpEntries: positiveInt(options.snapshotCatchUpEntries, 4, 'snapshotCatchUpEntries', 0),
    batchMaxBytes: positiveInt(options.batchMaxBytes, 64 * MiB, 'batchMaxBytes'),
    clock: options.clock ?? (() => performance.now()),
    syncHook: options.syncHook,
  };
  const segmentMaxBytes = positiveInt(options.segmentMaxBytes, 64 * MiB, 'segmentMaxBytes', 4096);
  const txIdHorizon = {
    txIdsMax: positiveInt(options.txIdHorizon, TX_ID_HORIZON_DEFAULT, 'txIdHorizon', 1, TX_ID_HORIZON_MAX),
    logger: options.logger,
    hash: options.txIdHash,
  };
  const lock = DirLock.acquire(options.dir);
  try {
    const mustExist = checkMarker(options.dir, engine) !== undefined;
    const backend: StorageBackend =
      engine === 'native'
        ? LmdbBackend.open(options.dir, {
            mustExist,
            dropChunkKeys: positiveInt(options.dropChunkKeys, 1000, 'dropChunkKeys'),
            dropStepHook: options.dropStepHook,
            txIdHorizon,
          })
        : FileBackend.open(options.dir, { segmentMaxBytes, logger: options.logger, mustExist, dropStepHook: options.dropStepHook, txIdHorizon });
    writeMarker(options.dir, engine);
    return new WalEnvironment(backend, settings, () => lock.release());
  } catch (err) {
    lock.release();
    throw err;
  }
}
