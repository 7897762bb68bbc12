// ChainOptions: what one channel on one node needs, already mapped from the
// config files by src/cli/ (this layer never reads config files). Validated
// once here; the rest of the layer works on the filled ResolvedChainOptions.

import { DEFAULT_BATCH_SIZE, validateBatchSize, type BatchSize } from '../block/index.js';
import type { OrganizationConfig } from '../crypto/index.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../crypto/index.js';
import { ChainOptionsError } from './errors.js';

const MiB = 1024 * 1024;

/** Fabric's defaults (configtx.yaml, etcdraft Options). */
export const CHAIN_DEFAULTS = Object.freeze({
  tickIntervalMs: 500,
  electionTick: 10,
  heartbeatTick: 1,
  maxInflightBlocks: 5,
  snapshotIntervalSizeBytes: 20 * MiB,
  batchTimeoutMs: 2000,
  submitQueueMax: 10_000,
  /** Tx ids of recently committed blocks kept in memory for duplicate checks (older ones: the ledger's index). */
  recentTxIdsMax: 65_536,
  /** Fabric's EvictionSuspicion: 10 minutes without a leader before asking the others whether this node was removed. */
  evictionSuspicionMs: 10 * 60 * 1000,
  leaderLossDetection: true,
  /**
   * Ours. Covers a redial of a live peer whose stream was reset (TCP + TLS +
   * HTTP/2 handshake and the Welcome: 2-6 ms on loopback here, a few RTTs on a
   * LAN), with room for a loaded event loop; a dead peer's redial is refused
   * sooner (about a millisecond) and does not wait for it.
   */
  leaderLossGraceMs: 40,
});

/** Raft ids are positive; etcdraft channels have a handful of consenters. */
export const CONSENTERS_MAX = 64;

export interface ChainOptions {
  readonly channelId: string;
  /** This node's consenter id (one of `consenters`). */
  readonly selfId: number;
  /** Consenter ids of the channel: the initial Raft voters of a fresh channel. */
  readonly consenters: readonly number[];
  /**
   * Number of the config block `consenters` come from: 0 (default) for block 0
   * or a channel file; a later one for a node that joins from a later config
   * block (participation API) or is re-onboarded under a new Raft id, whose
   * ledger may hold only older config blocks while it catches up.
   */
  readonly consentersBlock?: number;
  readonly tickIntervalMs?: number;
  readonly electionTick?: number;
  /**
   * How many distinct election timeouts Raft draws from, 1..electionTick: a
   * follower that hears no leader campaigns after [electionTick,
   * electionTick + electionJitterTicks) ticks. Default: half of electionTick
   * (see electionJitterTicks below).
   */
  readonly electionJitterTicks?: number;
  readonly heartbeatTick?: number;
  /** Blocks proposed but not yet committed, at most (Fabric MaxInflightBlocks). */
  readonly maxInflightBlocks?: number;
  /** Bytes of entries per append message; default: batchSize.preferredMaxBytes, as Fabric. */
  readonly maxSizePerMsgBytes?: number;
  /** Take a Raft snapshot every this many bytes of committed blocks (Fabric SnapshotIntervalSize). */
  readonly snapshotIntervalSizeBytes?: number;
  readonly batchSize?: BatchSize;
  readonly batchTimeoutMs?: number;
  /** Envelopes waiting for room in the leader's pipeline, at most; more are refused SERVICE_UNAVAILABLE. */
  readonly submitQueueMax?: number;
  /** Tx ids of recently committed blocks remembered in memory for the duplicate check (the ledger's tx-id index answers for older ones). */
  readonly recentTxIdsMax?: number;
  /** Block hashes of the channel (header and data hash): sha256, or sm3 on a GM channel. */
  readonly hashAlgorithm: HashAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly engine: Engine;
  /** The channel's organizations: creators of submitted envelopes must chain to one of them. */
  readonly organizations: readonly OrganizationConfig[];
  /** Marshaled block 0, written to an empty ledger; required when the ledger is empty. */
  readonly genesisBlock?: Uint8Array;
  /** Without a Raft leader this long, ask the other orderers whether this node is still a consenter (Fabric EvictionSuspicion). */
  readonly evictionSuspicionMs?: number;
  /** A follower whose cluster stream to the leader closed and did not come back forgets the leader and campaigns early (leaderLoss.ts). */
  readonly leaderLossDetection?: boolean;
  /** How long such a stream may take to come back, 1..10000 ms. */
  readonly leaderLossGraceMs?: number;
}

export interface ResolvedChainOptions {
  readonly channelId: string;
  readonly selfId: number;
  /** Sorted, distinct, positive. */
  readonly consenters: readonly number[];
  readonly consentersBlock: number;
  readonly tickIntervalMs: number;
  readonly electionTick: number;
  /** Invariant: 1 <= electionJitterTicks <= electionTick. */
  readonly electionJitterTicks: number;
  readonly heartbeatTick: number;
  readonly maxInflightBlocks: number;
  readonly maxSizePerMsgBytes: number;
  readonly snapshotIntervalSizeBytes: number;
  readonly batchSize: BatchSize;
  readonly batchTimeoutMs: number;
  readonly submitQueueMax: number;
  readonly recentTxIdsMax: number;
  readonly hashAlgorithm: HashAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly engine: Engine;
  readonly organizations: readonly OrganizationConfig[];
  readonly genesisBlock: Uint8Array | undefined;
  readonly evictionSuspicionMs: number;
  readonly leaderLossDetection: boolean;
  readonly leaderLossGraceMs: number;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ChainOptionsError(`options.${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function boolean(value: boolean | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ChainOptionsError(`options.${name} must be true or false, got ${String(value)}`);
  return value;
}

function leaderLossGraceMs(value: number | undefined): number {
  const ms = positiveInt(value, CHAIN_DEFAULTS.leaderLossGraceMs, 'leaderLossGraceMs');
  if (ms > 10_000) throw new ChainOptionsError(`options.leaderLossGraceMs must be at most 10000 ms, got ${ms}`);
  return ms;
}

/**
 * etcd draws election timeouts in [1, 2) election timeouts. A silent leader
 * (paused, partitioned: no stream closes) is then replaced by the first of the
 * survivors' timeouts, and with two survivors that is after 1.5 election
 * timeouts one time in four. Half the span bounds it below 1.5: the last
 * timeout drawn is electionTick + electionTick/2 - 1 ticks. The span still
 * puts half an election timeout (500 ms at 100 ms ticks, 2.5 s at Fabric's
 * 500 ms) between the earliest and latest draws, against a (Pre)Vote round
 * trip of milliseconds, so two survivors rarely campaign within a round trip
 * of each other and split the vote.
 */
function electionJitterTicks(value: number | undefined, electionTick: number): number {
  const ticks = positiveInt(value, Math.max(1, Math.floor(electionTick / 2)), 'electionJitterTicks');
  if (ticks > electionTick) throw new ChainOptionsError(`options.electionJitterTicks must be at most electionTick (${electionTick}), got ${ticks}`);
  return ticks;
}

function oneOf<T extends string>(value: T, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value)) throw new ChainOptionsError(`options.${name} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  return value;
}

function resolveConsenters(options: ChainOptions): number[] {
  const { consenters, selfId } = options;
  if (!Array.isArray(consenters) || consenters.length === 0 || consenters.length > CONSENTERS_MAX) {
    throw new ChainOptionsError(`options.consenters must list 1 to ${CONSENTERS_MAX} consenter ids`);
  }
  for (const id of consenters) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new ChainOptionsError(`options.consenters: ${String(id)} is not a positive integer id`);
  }
  const sorted = [...new Set(consenters)].sort((a, b) => a - b);
  if (sorted.length !== consenters.length) throw new ChainOptionsError(`options.consenters lists an id twice: ${consenters.join(', ')}`);
  if (!sorted.includes(selfId)) throw new ChainOptionsError(`options.selfId ${String(selfId)} is not one of options.consenters (${sorted.join(', ')})`);
  return sorted;
}

/** Fills defaults and checks every option; throws ChainOptionsError naming the first bad one. */
export function resolveChainOptions(options: ChainOptions): ResolvedChainOptions {
  if (typeof options.channelId !== 'string' || !/^[a-z][a-z0-9.-]{0,248}$/.test(options.channelId)) {
    // Fabric's channel name rule (configtx validation): lower case, digits, dot, dash; starts with a letter; < 250 chars.
    throw new ChainOptionsError(`options.channelId "${String(options.channelId)}" must match [a-z][a-z0-9.-]* and be shorter than 250 characters`);
  }
  const consenters = resolveConsenters(options);
  const electionTick = positiveInt(options.electionTick, CHAIN_DEFAULTS.electionTick, 'electionTick');
  const heartbeatTick = positiveInt(options.heartbeatTick, CHAIN_DEFAULTS.heartbeatTick, 'heartbeatTick');
  if (heartbeatTick >= electionTick) {
    throw new ChainOptionsError(`options.heartbeatTick (${heartbeatTick}) must be less than options.electionTick (${electionTick})`);
  }
  let batchSize: BatchSize;
  try {
    batchSize = validateBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  } catch (err) {
    throw new ChainOptionsError(`options.${(err as Error).message}`);
  }
  if (!Array.isArray(options.organizations) || options.organizations.length === 0) {
    throw new ChainOptionsError('options.organizations must list at least one organization');
  }
  if (options.genesisBlock !== undefined && !(options.genesisBlock instanceof Uint8Array && options.genesisBlock.length > 0)) {
    throw new ChainOptionsError('options.genesisBlock must be the bytes of a marshaled block');
  }
  return {
    channelId: options.channelId,
    selfId: options.selfId,
    consenters,
    consentersBlock: options.consentersBlock === 0 ? 0 : positiveInt(options.consentersBlock, 0, 'consentersBlock'),
    tickIntervalMs: positiveInt(options.tickIntervalMs, CHAIN_DEFAULTS.tickIntervalMs, 'tickIntervalMs'),
    electionTick,
    electionJitterTicks: electionJitterTicks(options.electionJitterTicks, electionTick),
    heartbeatTick,
    maxInflightBlocks: positiveInt(options.maxInflightBlocks, CHAIN_DEFAULTS.maxInflightBlocks, 'maxInflightBlocks'),
    maxSizePerMsgBytes: positiveInt(options.maxSizePerMsgBytes, batchSize.preferredMaxBytes, 'maxSizePerMsgBytes'),
    snapshotIntervalSizeBytes: positiveInt(options.snapshotIntervalSizeBytes, CHAIN_DEFAULTS.snapshotIntervalSizeBytes, 'snapshotIntervalSizeBytes'),
    batchSize,
    batchTimeoutMs: positiveInt(options.batchTimeoutMs, CHAIN_DEFAULTS.batchTimeoutMs, 'batchTimeoutMs'),
    submitQueueMax: positiveInt(options.submitQueueMax, CHAIN_DEFAULTS.submitQueueMax, 'submitQueueMax'),
    recentTxIdsMax: positiveInt(options.recentTxIdsMax, CHAIN_DEFAULTS.recentTxIdsMax, 'recentTxIdsMax'),
    hashAlgorithm: oneOf(options.hashAlgorithm, ['sha256', 'sm3'], 'hashAlgorithm'),
    signatureAlgorithm: oneOf(options.signatureAlgorithm, ['ecdsa-p256', 'sm2'], 'signatureAlgorithm'),
    engine: oneOf(options.engine, ['native', 'native-free'], 'engine'),
    organizations: options.organizations,
    genesisBlock: options.genesisBlock,
    evictionSuspicionMs: positiveInt(options.evictionSuspicionMs, CHAIN_DEFAULTS.evictionSuspicionMs, 'evictionSuspicionMs'),
    leaderLossDetection: boolean(options.leaderLossDetection, CHAIN_DEFAULTS.leaderLossDetection, 'leaderLossDetection'),
    leaderLossGraceMs: leaderLossGraceMs(options.leaderLossGraceMs),
  };
}
