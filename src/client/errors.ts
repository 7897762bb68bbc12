// Operating errors of the clients. `code` is stable (commands map it to an
// exit code, tests match on it); the message names the endpoint, flag or file.

import { OrdererError } from '../errors.js';

/** A bad argument given to a client: a malformed URL, half a TLS key pair. */
export class ClientUsageError extends OrdererError {
  constructor(message: string) {
    super('CLIENT_USAGE', message);
  }
}

/** A call that failed: the stream broke, the node refused, a file could not be read. */
export class ClientCallError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLIENT_CALL', message, options);
  }
}
