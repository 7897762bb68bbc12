// Small pieces of the submit path: sizing a forwarded envelope on the leader,
// mapping failures to client statuses, and the Raft core's logger on pino.

import type { Logger } from 'pino';
import {
  HeaderType,
  MalformedMessageError,
  MessageTooLargeError,
  Status,
  checkAbsoluteMaxBytes,
  messageSizeBytes,
  readEnvelopeFields,
  type BatchSize,
} from '../../block/index.js';
import type { EnvelopeAcceptance } from '../../workers/index.js';
import { OrdererError } from '../../errors.js';
import type { RaftLogger } from '../../raft/index.js';
import { BadRequestError } from '../errors.js';
import type { ClientStatus, SubmitResult } from '../types.js';

/**
 * The leader's check of an envelope a follower forwarded: the follower (an
 * authenticated consenter) verified creator and signature; the leader re-reads
 * only what ordering needs (a CONFIG envelope, which the follower created
 * from a client's CONFIG_UPDATE, is then re-checked by the caller). Returns
 * Fabric's message size and whether it is a CONFIG envelope; throws
 * BadRequestError, also for the types a consenter never forwards.
 */
export function acceptForwarded(
  envelope: Uint8Array,
  from: number,
  channelId: string,
  batchSize: BatchSize,
): { sizeBytes: number; isConfig: boolean; txId: string } {
  let fields;
  try {
    fields = readEnvelopeFields(envelope);
  } catch (err) {
    if (err instanceof MalformedMessageError) throw new BadRequestError(`envelope forwarded by node ${from} is malformed: ${err.message}`);
    throw err;
  }
  if (fields.channelId !== channelId) {
    throw new BadRequestError(`envelope forwarded by node ${from} is for channel "${fields.channelId}", not "${channelId}"`);
  }
  if (fields.headerType === HeaderType.CONFIG_UPDATE || fields.headerType === HeaderType.ORDERER_TRANSACTION) {
    throw new BadRequestError(`envelope forwarded by node ${from} is of type ${fields.headerType}: consenters forward normal and CONFIG envelopes only`);
  }
  const sizeBytes = messageSizeBytes(fields);
  try {
    checkAbsoluteMaxBytes(sizeBytes, batchSize);
  } catch (err) {
    throw new BadRequestError((err as Error).message);
  }
  return { sizeBytes, isConfig: fields.headerType === HeaderType.CONFIG, txId: fields.txId };
}

const statusOfCode: Readonly<Record<string, ClientStatus>> = {
  BAD_REQUEST: 'BAD_REQUEST',
  FORBIDDEN: 'FORBIDDEN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  CHAIN_HALTED: 'SERVICE_UNAVAILABLE',
};

/** A failure of ordering as the client sees it: OrdererErrors by code (unknown codes are retryable), anything else internal. */
export function failureResult(err: unknown, log: Logger): SubmitResult {
  if (err instanceof OrdererError) return { status: statusOfCode[err.code] ?? 'SERVICE_UNAVAILABLE', info: err.message };
  log.error({ err }, 'ordering an envelope failed unexpectedly');
  return { status: 'INTERNAL_SERVER_ERROR', info: `ordering failed: ${(err as Error)?.message ?? String(err)}` };
}

/** The Raft core's one-line logs as pino debug/info/warn/error events. */
export function raftLogger(log: Logger): RaftLogger {
  const raft = log.child({ component: 'raft' });
  return {
    debug: (msg) => raft.debug(msg),
    info: (msg) => raft.info(msg),
    warn: (msg) => raft.warn(msg),
    error: (msg) => raft.error(msg),
  };
}

/** A pool verdict's rejection status as the client API names it. */
export function rejectionStatus(status: Status.BAD_REQUEST | Status.FORBIDDEN): ClientStatus {
  return status === Status.FORBIDDEN ? 'FORBIDDEN' : 'BAD_REQUEST';
}

/**
 * The client's answer for a verified envelope ordering must not take, or
 * undefined when it may be ordered (as a normal message, or a CONFIG_UPDATE
 * the chain turns into a CONFIG envelope): what Fabric's Broadcast refuses
 * before processing — a CONFIG envelope ("cannot be processed directly": only
 * the orderer creates them) or an ORDERER_TRANSACTION ("no longer
 * supported") — and a message above AbsoluteMaxBytes. Other header types are
 * normal messages, as in Fabric's StandardChannel.ClassifyMsg.
 */
export function refusalOf(verdict: EnvelopeAcceptance, batchSize: BatchSize): SubmitResult | undefined {
  if (verdict.type === HeaderType.CONFIG) return { status: 'BAD_REQUEST', info: 'message is of type that cannot be processed directly' };
  if (verdict.type === HeaderType.ORDERER_TRANSACTION) return { status: 'BAD_REQUEST', info: 'message is of type that is no longer supported' };
  try {
    checkAbsoluteMaxBytes(verdict.sizeBytes, batchSize);
  } catch (err) {
    if (err instanceof MessageTooLargeError) return { status: 'BAD_REQUEST', info: err.message };
    throw err;
  }
  return undefined;
}

/** Fabric's message size of the CONFIG envelope this node created; BadRequestError above AbsoluteMaxBytes (Fabric's final checks). */
export function configEnvelopeSize(envelope: Uint8Array, batchSize: BatchSize): number {
  const sizeBytes = messageSizeBytes(readEnvelopeFields(envelope));
  try {
    checkAbsoluteMaxBytes(sizeBytes, batchSize);
  } catch (err) {
    if (err instanceof MessageTooLargeError) throw new BadRequestError(`config update for existing channel did not pass final checks: ${err.message}`);
    throw err;
  }
  return sizeBytes;
}
