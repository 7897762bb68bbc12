// Operating errors of the client-facing server layer.

import { OrdererError } from '../errors.js';

/** An option given to the server or the operations listener is out of its rule. */
export class InvalidServerOptionsError extends OrdererError {
  constructor(message: string) {
    super('BAD_SERVER_OPTIONS', message);
  }
}

/** A listener could not bind its address (in use, not local, permission). */
export class ListenError extends OrdererError {
  constructor(address: string, reason: string, options?: { cause?: unknown }) {
    super('LISTEN_FAILED', `cannot listen on ${address}: ${reason}`, options);
  }
}
