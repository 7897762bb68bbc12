// Operating errors of the worker pool. Codes are stable; messages name the
// option, context or limit involved.

import { OrdererError } from '../errors.js';

/** Bad options or task input given to the pool; the message names the option or field. */
export class PoolOptionsError extends OrdererError {
  constructor(message: string) {
    super('POOL_BAD_OPTIONS', message);
  }
}

/** A task submitted after close() began. */
export class PoolClosedError extends OrdererError {
  constructor(operation: string) {
    super('POOL_CLOSED', `worker pool is closed: cannot run ${operation}`);
  }
}

/** The pool's task queue is full: the caller should push back on its clients. */
export class PoolOverloadedError extends OrdererError {
  constructor(queueMax: number, options?: { cause?: unknown }) {
    super('POOL_OVERLOADED', `worker pool queue is full (${queueMax} tasks waiting)`, options);
  }
}

/** A context handle that this pool never issued or already released. */
export class UnknownContextError extends OrdererError {
  constructor(contextId: number) {
    super('POOL_UNKNOWN_CONTEXT', `context ${contextId} is not registered with this worker pool`);
  }
}

/** A batch over options.batchEntriesMax or options.batchBytesMax. */
export class BatchTooLargeError extends OrdererError {
  constructor(operation: string, what: string, actual: number, max: number) {
    super('POOL_BATCH_TOO_LARGE', `${operation}: ${actual} ${what}, more than ${max}`);
  }
}

/**
 * An operating error a worker raised (bad CA certificate, unusable key...),
 * carried across the thread boundary with its original code and message
 * (structured clone keeps neither the class nor `code`).
 */
export class WorkerTaskError extends OrdererError {
  constructor(
    code: string,
    /** Class name of the error in the worker, e.g. MspConfigError. */
    readonly originalName: string,
    message: string,
  ) {
    super(code, message);
  }
}
