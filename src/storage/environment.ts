// One storage environment per orderer node: one engine (LMDB or native-free
// files), one group commit shared by every channel, one set of sync metrics.
// Channels are opened from it; each gets a durable Raft Storage and a ledger.

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { StorageBackend } from './backend.js';
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
  readonly #channels = new Map<string, ChannelStorage>();
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
    await this.#committer.close();
    for (const ch of this.#channels.values()) ch.ledger.close();
    await this.backend.close();
    this.onClosed();
  }
}
