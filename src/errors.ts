// Project-wide base of operating errors (bad input, unavailable peer, expired
// certificate...). Programmer errors are assertions instead (node:assert).
//
// `code` is stable: callers, metrics and tests match on it, never on the
// message. The message names the offending input so an operator can act on it.

export class OrdererError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Subclasses keep their own name in stack traces and logs.
    this.name = new.target.name;
  }
}
