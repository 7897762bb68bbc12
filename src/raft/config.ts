import { RaftError } from './errors.js';
import { silentLogger, type RaftLogger } from './logger.js';
import type { Storage } from './storage.js';

/** Options of one Raft node, as the application passes them. */
export interface RaftConfig {
  /** This node's id; non-zero, a safe integer. */
  id: number;
  /**
   * Followers campaign after a randomized timeout in
   * [electionTick, electionTick + electionJitterTicks) ticks without a leader.
   */
  electionTick: number;
  /**
   * How many distinct election timeouts a follower draws from (default
   * electionTick: etcd's [electionTick, 2*electionTick)). A narrower span bounds
   * how late the first survivor of a silent leader campaigns (at most
   * electionTick + electionJitterTicks - 1 ticks), at the price of more ties:
   * two followers drawing the same tick campaign within their tick phases of
   * each other and may split the vote, so keep it several ticks wide.
   */
  electionJitterTicks?: number;
  /** Leaders send heartbeats every heartbeatTick ticks; must be < electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** Last applied index at restart (default 0): entries up to it are not handed out again. */
  applied?: number;
  /**
   * Bytes of entry data per MsgApp (default Infinity = no limit). A message
   * always carries at least one entry, so 0 means one entry per message.
   */
  maxSizePerMsg?: number;
  /** Bytes of committed entries per Ready (default: maxSizePerMsg). */
  maxCommittedSizePerReady?: number;
  /** Bytes of uncommitted entry data a leader accepts before dropping proposals (default Infinity). */
  maxUncommittedEntriesSize?: number;
  /** Unacknowledged MsgApp per follower in StateReplicate (default 256). */
  maxInflightMsgs?: number;
  /** Unacknowledged entry bytes per follower (default Infinity). */
  maxInflightBytes?: number;
  /** Leader steps down when it has not heard from a quorum for an election timeout. */
  checkQuorum?: boolean;
  /** Pre-election round so a partitioned node does not disrupt the cluster by bumping terms. */
  preVote?: boolean;
  /** A leader removed from the configuration steps down at once. */
  stepDownOnRemoval?: boolean;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /**
   * Uniform floats in [0, 1) drawing the randomized election timeouts. Required:
   * Raft's liveness rests on peers drawing different timeouts, so a running node
   * passes an OS random source; tests and the simulator pass seededRandom(seed)
   * to replay a run. (A generator seeded by the node id would make every process
   * draw the same sequence at every start, and two peers tie on the same timeout.)
   */
  random: () => number;
  logger?: RaftLogger;
}

/** RaftConfig with every default filled in and every bound checked. */
export interface ResolvedRaftConfig {
  readonly id: number;
  readonly electionTick: number;
  /** Invariant: 1 <= electionJitterTicks. */
  readonly electionJitterTicks: number;
  readonly heartbeatTick: number;
  readonly storage: Storage;
  readonly applied: number;
  readonly maxSizePerMsg: number;
  readonly maxCommittedSizePerReady: number;
  readonly maxUncommittedEntriesSize: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly stepDownOnRemoval: boolean;
  readonly disableProposalForwarding: boolean;
  readonly random: () => number;
  readonly logger: RaftLogger;
}

const defaultMaxInflightMsgs = 256;

function invalid(message: string): RaftError {
  return new RaftError('invalid-config', message);
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw invalid(`config.${name} must be a positive integer, got ${v}`);
  return v;
}

function byteLimit(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!(v === Infinity || (Number.isSafeInteger(v) && v >= 0))) {
    throw invalid(`config.${name} must be a non-negative integer or Infinity, got ${v}`);
  }
  return v;
}

export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  positiveInteger('id', c.id);
  positiveInteger('heartbeatTick', c.heartbeatTick);
  positiveInteger('electionTick', c.electionTick);
  if (c.electionTick <= c.heartbeatTick) {
    throw invalid(`config.electionTick (${c.electionTick}) must be greater than config.heartbeatTick (${c.heartbeatTick})`);
  }
  const electionJitterTicks = c.electionJitterTicks === undefined ? c.electionTick : positiveInteger('electionJitterTicks', c.electionJitterTicks);
  if (!c.storage) throw invalid('config.storage is required');
  if (typeof c.random !== 'function') throw invalid('config.random is required: a function returning uniform floats in [0, 1)');
  const applied = c.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) throw invalid(`config.applied must be a non-negative integer, got ${applied}`);
  const maxSizePerMsg = byteLimit('maxSizePerMsg', c.maxSizePerMsg, Infinity);
  const maxInflightBytes = byteLimit('maxInflightBytes', c.maxInflightBytes, Infinity);
  if (maxInflightBytes < maxSizePerMsg) {
    throw invalid(`config.maxInflightBytes (${maxInflightBytes}) must be >= config.maxSizePerMsg (${maxSizePerMsg})`);
  }
  return {
    id: c.id,
    electionTick: c.electionTick,
    electionJitterTicks,
    heartbeatTick: c.heartbeatTick,
    storage: c.storage,
    applied,
    maxSizePerMsg,
    // 0 would pause applying forever (paused while applyingBytes >= limit): treat it as no limit.
    maxCommittedSizePerReady: byteLimit('maxCommittedSizePerReady', c.maxCommittedSizePerReady, maxSizePerMsg) || Infinity,
    maxUncommittedEntriesSize: byteLimit('maxUncommittedEntriesSize', c.maxUncommittedEntriesSize, Infinity) || Infinity,
    maxInflightMsgs: c.maxInflightMsgs === undefined ? defaultMaxInflightMsgs : positiveInteger('maxInflightMsgs', c.maxInflightMsgs),
    maxInflightBytes,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? false,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    random: c.random,
    logger: c.logger ?? silentLogger,
  };
}
