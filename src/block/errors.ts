// Operating errors of the block layer: input bytes that are not what Fabric
// would accept. Each carries a stable code and names the offending field, so a
// client or an operator can tell which part of a message was wrong.

import { OrdererError } from '../errors.js';

/** Stable codes: one per kind of top-level input, so callers can map them to a Status. */
export type MalformedCode = 'BAD_ENVELOPE' | 'BAD_BLOCK' | 'BAD_SEEK_INFO' | 'BAD_METADATA' | 'BAD_RESPONSE' | 'BAD_PROTOBUF';

/** Bytes that do not decode as the protobuf message they claim to be. */
export class MalformedMessageError extends OrdererError {
  constructor(
    code: MalformedCode,
    /** Dotted path of the bad field, e.g. `envelope.payload.header.channel_header.tx_id`. */
    readonly field: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${field}: ${reason}`, options);
  }
}

/** A message larger than the channel's AbsoluteMaxBytes (Fabric: REQUEST_ENTITY_TOO_LARGE). */
export class MessageTooLargeError extends OrdererError {
  constructor(
    readonly sizeBytes: number,
    readonly absoluteMaxBytes: number,
  ) {
    super('MESSAGE_TOO_LARGE', `message payload is ${sizeBytes} bytes and exceeds maximum allowed ${absoluteMaxBytes} bytes`);
  }
}
