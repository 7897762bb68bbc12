// Invariant checks for the Raft core. A failed assertion is a programmer
// error (a broken invariant of the core or a misuse of its API), never an
// operating condition, so it is thrown and not meant to be caught.

export class RaftAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftAssertionError';
  }
}

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new RaftAssertionError(typeof message === 'string' ? message : message());
  }
}

/**
 * Terms and indexes are JS numbers: exact integers up to 2^53 - 1. Asserted
 * wherever they grow (appending entries, bumping the term), so an overflow
 * fails loudly instead of silently losing precision.
 */
export function assertIndexOrTerm(n: number, what: string): void {
  assert(Number.isSafeInteger(n) && n >= 0, () => `${what} must be a safe non-negative integer, got ${n}`);
}
