// Operating errors of the cluster transport. Codes are stable: the chain layer
// maps SERVICE_UNAVAILABLE onto its Broadcast answer, tests match on codes.

import { OrdererError } from '../errors.js';

/** An option of `ClusterTransportOptions` is invalid; the message names it. */
export class ClusterOptionsError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLUSTER_BAD_OPTIONS', message, options);
  }
}

/**
 * A forwarded submit could not reach the leader or got no verdict in time:
 * the envelope may or may not have been ordered. The message names the peer.
 */
export class ClusterUnavailableError extends OrdererError {
  constructor(
    readonly peer: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('SERVICE_UNAVAILABLE', message, options);
  }
}

/**
 * The leader's own rejection of a forwarded envelope, carried back over the
 * stream: `code` is the leader's OrdererError code (e.g. BAD_REQUEST).
 */
export class ForwardRejectedError extends OrdererError {
  constructor(
    readonly peer: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

/** Bytes received from a peer that are not a valid frame; the stream carrying them is ended. */
export class ClusterFrameError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_CLUSTER_FRAME', message, options);
  }
}
