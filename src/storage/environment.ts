// One storage environment per orderer node: one engine (LMDB or native-free
// files), one group commit shared by every channel, one set of sync metrics.
// Channels are opened from it; each gets a durable Raft Storage and a ledger.
//
// Channel lifecycle: channel(id) opens (recovers) a channel's storage and keeps
// it open — "in use" — until releaseChannel(id), which refuses later writes
// through it and waits for those already submitted. Only a released (or never
// opened) channel can be dropped: dropChannel(id, { keepLedger }) is one op in
// the group commit, so it is ordered after every earlier write and atomic on
// disk (LMDB: a marker, then the bulk removed in small transactions, see
// lmdbDrop.ts; native-free: tombstone records, see
// native-free/storage/pendingDrops.ts). The other channels keep appending
// meanwhile: their writes ride the same syncs.

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { StorageBackend, TxIdCoverage } from './backend.js';
import { ChannelInUseError, StorageFailedError } from './errors.js';
import { DurableRaftStorage } from './durableStorage.js';
import { GroupCommitter, type SyncInfo } from './groupCommit.js';
import { BlockLedger } from './ledger.js';
import { MemoryLog } from './memoryLog.js';
import { SyncStats } from './syncStats.js';

/** Tuning of an environment (filled from WalEnvironmentOptions). */
export interface EnvironmentSettings {
  readonly logger: Logger;
  /** tick_interval x election_tick; a sync slower than half of it is logged as a warning. */
  readonly electionTimeoutMs: number;
  /** Entries kept before a snapshot point when compacting (Fabric: 4). */
  readonly snapshotCatchUpEntries: number;
  readonly batchMaxBytes: number;
  readonly clock: () => number;
  readonly syncHook?: ((info: SyncInfo) => Promise<void>) | undefined;
}

export interface ChannelStorage {
  readonly raft: DurableRaftStorage;
  readonly ledger: BlockLedger;
}

export class WalEnvironment {
  readonly stats: SyncStats;
  readonly #committer: GroupCommitter;
  /** Open channel storages: "in use" until releaseChannel. */
  readonly #channels = new Map<string, ChannelStorage>();
  /** Channels whose drop is in flight. Invariant: none of them is in #channels. */
  readonly #dropping = new Set<string>();
  /** Drops in flight: close waits for them (a sweep writes outside the group commit). */
  readonly #dropTasks = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly backend: StorageBackend,
    private readonly settings: EnvironmentSettings,
    /** Called once after the engine closed (releases the directory lock). */
    private readonly onClosed: () => void = () => undefined,
  ) {
    this.stats = new SyncStats(settings.logger, settings.electionTimeoutMs / 2, settings.electionTimeoutMs);
    this.#committer = new GroupCommitter(backend, this.stats, {
      batchMaxBytes: settings.batchMaxBytes,
      clock: settings.clock,
      syncHook: settings.syncHook,
    });
  }

  get engine(): StorageBackend['engine'] {
    return this.backend.engine;
  }

  get dir(): string {
    return this.backend.dir;
  }

  /**
   * What each channel's duplicate horizon covers (the oldest block whose tx
   * ids txLocation still finds), for the channels whose horizon is built: on
   * a channel's first tx id lookup (a leader's first duplicate check).
   */
  txIdCoverage(): Map<string, TxIdCoverage> {
    return this.backend.txIdCoverage();
  }

  /** Channels found on disk (opened or not). */
  storedChannels(): string[] {
    return this.backend.channels();
  }

  /**
   * The channel's storage, recovered from disk on first use (empty if new).
   * Throws StorageCorruptError naming file, channel and index if a record is bad.
   */
  channel(channelId: string): ChannelStorage {
    assert(!this.#closed, 'channel() on a closed WalEnvironment');
    assert(channelId.length > 0 && channelId.length <= 249, `bad channel id "${channelId}"`);
    const open = this.#channels.get(channelId);
    if (open !== undefined) return open;
    // Recovering now would read what the drop is about to delete.
    if (this.#dropping.has(channelId)) throw new ChannelInUseError(channelId, 'its storage is being dropped: open it once the drop is done');
    const log = new MemoryLog(channelId, this.backend.recoverLog(channelId));
    const ledger = new BlockLedger(channelId, this.backend, this.#committer, this.backend.recoverLedger(channelId));
    const raft = new DurableRaftStorage(channelId, log, this.#committer, this.settings.snapshotCatchUpEntries);
    const storage: ChannelStorage = { raft, ledger };
    this.#channels.set(channelId, storage);
    return storage;
  }

  /**
   * Opens every channel found on disk: start-up calls this so that a damaged
   * record stops the node before it serves anything (StorageCorruptError
   * naming file, channel and index).
   */
  openStoredChannels(): Map<string, ChannelStorage> {
    const all = new Map<string, ChannelStorage>();
    for (const id of this.storedChannels()) all.set(id, this.channel(id));
    return all;
  }

  /**
   * Ends the use of a channel's storage: later writes through its raft storage
   * or ledger throw ChannelReleasedError, ledger waiters (Deliver streams) are
   * rejected, and this resolves once the writes already submitted settled. The
   * next channel(id) recovers it afresh from disk. Call it after the Chain,
   * its block puller and its Deliver streams stopped. A no-op if not open.
   */
  async releaseChannel(channelId: string): Promise<void> {
    const open = this.#channels.get(channelId);
    if (open === undefined) return;
    this.#channels.delete(channelId);
    await Promise.all([open.raft.release(), open.ledger.release()]);
  }

  /**
   * Deletes the channel's Raft state (entries, hard state, conf state,
   * snapshot) and, unless `keepLedger`, its blocks and txId index; resolves
   * once that is durable. Afterwards channel(id) gives empty storage (or one
   * holding only the ledger), and storedChannels() no longer lists a channel
   * with nothing left. Atomic across a crash: the next open finds the channel
   * whole or dropped. Throws ChannelInUseError while the channel is open (see
   * releaseChannel) or already being dropped. Dropping an unknown channel does
   * nothing.
   */
  async dropChannel(channelId: string, options: { readonly keepLedger: boolean }): Promise<void> {
    assert(!this.#closed, 'dropChannel() on a closed WalEnvironment');
    assert(typeof options?.keepLedger === 'boolean', 'dropChannel: options.keepLedger must be a boolean');
    if (this.#channels.has(channelId)) throw new ChannelInUseError(channelId, 'its storage is open: release it (releaseChannel) before dropping it');
    if (this.#dropping.has(channelId)) throw new ChannelInUseError(channelId, 'its storage is already being dropped');
    if (!this.backend.channels().includes(channelId)) return;
    const task = this.#drop(channelId, options.keepLedger);
    this.#dropTasks.add(task);
    try {
      await task;
    } finally {
      this.#dropTasks.delete(task);
    }
  }

  async #drop(channelId: string, keepLedger: boolean): Promise<void> {
    this.#dropping.add(channelId);
    try {
      await this.#committer.submit([{ kind: 'dropChannel', channel: channelId, keepLedger }]);
    } catch (err) {
      // Not durable: the committer has failed and refuses everything from now on.
      this.#dropping.delete(channelId);
      throw err;
    }
    // Durable from here: the channel reads as dropped. The engine removes what is left between the group commit's batches.
    try {
      await this.backend.finishDrop(channelId);
    } catch (err) {
      // Half removed on disk: the channel stays refused (channel() would read the remains) until the next open finishes the drop.
      throw new StorageFailedError(`channel "${channelId}": dropping its data failed; it is finished when the storage is opened again: ${String(err)}`, {
        cause: err,
      });
    }
    this.#dropping.delete(channelId);
    this.settings.logger.info({ channel: channelId, keepLedger }, keepLedger ? 'channel raft state dropped, ledger kept' : 'channel data dropped');
  }

  /** Submissions waiting for the next sync (a gauge for metrics). */
  get queuedSubmissions(): number {
    return this.#committer.queuedSubmissions;
  }

  /** Resolves when everything submitted so far is durable. */
  whenIdle(): Promise<void> {
    return this.#committer.whenIdle();
  }

  /** Writes what is queued, rejects ledger waiters, releases the engine. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#dropTasks);
    await this.#committer.close();
    for (const ch of this.#channels.values()) ch.ledger.close();
    await this.backend.close();
    this.onClosed();
  }
}
