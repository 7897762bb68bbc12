// Operating errors of the chain layer. `code` is stable (tests, metrics and
// the cluster transport match on it); the message names the input.

import { OrdererError } from '../errors.js';

/** An option of ChainOptions is missing or out of range; the message names it. */
export class ChainOptionsError extends OrdererError {
  constructor(message: string) {
    super('CHAIN_BAD_OPTIONS', message);
  }
}

/**
 * Ordering cannot take the envelope now (no leader, not the leader any more,
 * queue full, channel halted or closed). Maps to SERVICE_UNAVAILABLE; the
 * transport carries `code` back to a forwarding follower.
 */
export class ServiceUnavailableError extends OrdererError {
  constructor(message: string) {
    super('SERVICE_UNAVAILABLE', message);
  }
}

/** The envelope itself is unacceptable; maps to BAD_REQUEST. */
export class BadRequestError extends OrdererError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

/**
 * The channel stopped because its state can no longer be trusted (storage
 * failure, a committed block that does not extend the ledger). The node keeps
 * serving other channels; this one answers SERVICE_UNAVAILABLE until restarted.
 */
export class ChainHaltedError extends OrdererError {
  constructor(channelId: string, reason: string, options?: { cause?: unknown }) {
    super('CHAIN_HALTED', `channel "${channelId}" halted: ${reason}`, options);
  }
}
