// Block cutter with Fabric's exact rules (orderer/common/blockcutter,
// orderer/common/msgprocessor/sizefilter.go, etcdraft's config handling):
//
// - A message's size is len(payload) + len(signature), as Fabric counts it.
// - AbsoluteMaxBytes is an ingress check (checkAbsoluteMaxBytes), not a cut rule.
// - A message larger than PreferredMaxBytes goes alone in its own batch, after
//   the pending batch is cut.
// - A message that would push pending over PreferredMaxBytes cuts pending first.
// - Pending reaching MaxMessageCount is cut.
// - Config transactions go alone, after pending is cut (orderedAlone).
// - BatchTimeout: the caller owns the timer. `pending` in each result says
//   whether messages wait; start the timer when it turns true, stop it when it
//   turns false, and call cut() when it fires.
//
// Bounded: pending never exceeds MaxMessageCount messages nor PreferredMaxBytes bytes.

import assert from 'node:assert/strict';
import { OrdererError } from '../errors.js';
import { MessageTooLargeError } from './errors.js';

/** Orderer.BatchSize of the channel config. */
export interface BatchSize {
  readonly maxMessageCount: number;
  readonly absoluteMaxBytes: number;
  readonly preferredMaxBytes: number;
}

/** Fabric's defaults (configtx.yaml). */
export const DEFAULT_BATCH_SIZE: BatchSize = {
  maxMessageCount: 500,
  absoluteMaxBytes: 10 * 1024 * 1024,
  preferredMaxBytes: 2 * 1024 * 1024,
};

export class InvalidBatchSizeError extends OrdererError {
  constructor(message: string) {
    super('BAD_BATCH_SIZE', message);
  }
}

/** What Fabric counts as a message's size (sizefilter.go, blockcutter.go). */
export function messageSizeBytes(envelope: { readonly payload: Uint8Array; readonly signature: Uint8Array }): number {
  return envelope.payload.length + envelope.signature.length;
}

/** The ingress check (Fabric's MaxBytesRule): throws MessageTooLargeError above AbsoluteMaxBytes. */
export function checkAbsoluteMaxBytes(sizeBytes: number, batchSize: BatchSize): void {
  if (sizeBytes > batchSize.absoluteMaxBytes) throw new MessageTooLargeError(sizeBytes, batchSize.absoluteMaxBytes);
}

/** Validates a BatchSize as Fabric's channelconfig does, naming the bad field. */
export function validateBatchSize(batchSize: BatchSize): BatchSize {
  const { maxMessageCount, absoluteMaxBytes, preferredMaxBytes } = batchSize;
  const isUint32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
  if (!isUint32(maxMessageCount) || maxMessageCount === 0) {
    throw new InvalidBatchSizeError(`batchSize.maxMessageCount must be a positive 32-bit integer, got ${maxMessageCount}`);
  }
  if (!isUint32(absoluteMaxBytes) || absoluteMaxBytes === 0) {
    throw new InvalidBatchSizeError(`batchSize.absoluteMaxBytes must be a positive 32-bit integer, got ${absoluteMaxBytes}`);
  }
  if (!isUint32(preferredMaxBytes) || preferredMaxBytes === 0 || preferredMaxBytes > absoluteMaxBytes) {
    throw new InvalidBatchSizeError(
      `batchSize.preferredMaxBytes must be a positive integer no greater than absoluteMaxBytes (${absoluteMaxBytes}), got ${preferredMaxBytes}`,
    );
  }
  return { maxMessageCount, absoluteMaxBytes, preferredMaxBytes };
}

export interface OrderedResult<T> {
  /** Batches to turn into blocks now, in order (0, 1 or 2 of them). */
  readonly batches: readonly (readonly T[])[];
  /** Whether messages are pending after this call (the batch timer should run). */
  readonly pending: boolean;
}

export class BlockCutter<T> {
  readonly #batchSize: BatchSize;
  readonly #sizeOf: (message: T) => number;
  /** Invariant: length < maxMessageCount between calls. */
  #pending: T[] = [];
  /** Invariant: sum of #sizeOf over #pending, <= preferredMaxBytes. */
  #pendingBytes = 0;

  constructor(batchSize: BatchSize, sizeOf: (message: T) => number) {
    this.#batchSize = validateBatchSize(batchSize);
    this.#sizeOf = sizeOf;
  }

  get batchSize(): BatchSize {
    return this.#batchSize;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Adds a normal message; returns the batches it completes (Fabric's Receiver.Ordered). */
  ordered(message: T): OrderedResult<T> {
    const size = this.#sizeOf(message);
    if (!(Number.isSafeInteger(size) && size >= 0)) assert.fail(`message size must be a non-negative integer, got ${size}`);
    const { maxMessageCount, preferredMaxBytes } = this.#batchSize;
    const batches: T[][] = [];

    if (size > preferredMaxBytes) {
      if (this.#pending.length > 0) batches.push(this.cut());
      batches.push([message]);
      return { batches, pending: false };
    }

    if (this.#pendingBytes + size > preferredMaxBytes) batches.push(this.cut());

    this.#pending.push(message);
    this.#pendingBytes += size;
    if (this.#pending.length >= maxMessageCount) {
      batches.push(this.cut());
      return { batches, pending: false };
    }
    this.#assertInvariants();
    return { batches, pending: true };
  }

  /** A config transaction: pending (if any) is cut, then the message goes alone. */
  orderedAlone(message: T): OrderedResult<T> {
    const batches: T[][] = [];
    if (this.#pending.length > 0) batches.push(this.cut());
    batches.push([message]);
    return { batches, pending: false };
  }

  /** Returns and clears the pending batch (possibly empty), e.g. when the batch timer fires. */
  cut(): T[] {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    return batch;
  }

  #assertInvariants(): void {
    assert(this.#pending.length < this.#batchSize.maxMessageCount, 'pending reached maxMessageCount without a cut');
    assert(this.#pendingBytes <= this.#batchSize.preferredMaxBytes, 'pending exceeds preferredMaxBytes');
  }
}
