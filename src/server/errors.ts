// Operating errors of the client-facing server layer.

import { OrdererError } from '../errors.js';

/** An option given to the server or the operations listener is out of its rule. */
export class InvalidServerOptionsError extends OrdererError {
  constructor(message: string) {
    super('SERVER_BAD_OPTIONS', message);
  }
}

/** A listener could not bind its address (in use, not local, permission). */
export class ListenError extends OrdererError {
  constructor(address: string, reason: string, options?: { cause?: unknown }) {
    super('LISTEN_FAILED', `cannot listen on ${address}: ${reason}`, options);
  }
}

/** A request the API cannot take: missing or oversized body, bad content type, bad name (400 or 413). */
export class ParticipationRequestError extends OrdererError {
  constructor(
    message: string,
    readonly httpStatus = 400,
  ) {
    super('BAD_PARTICIPATION_REQUEST', message);
  }
}
