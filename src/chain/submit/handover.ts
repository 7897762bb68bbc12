// Envelopes a former leader accepted for ordering but never proposed. Fabric
// drops them on a leader change; we hold them and forward them to the next
// leader (or order them ourselves if we lead again), retrying until a leader
// takes them. Bounded: past `heldMax` the oldest are dropped, loudly.

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { OrdererError } from '../../errors.js';
import type { OrderedEnvelope } from '../order/leaderPipeline.js';
import { DUPLICATE_TX_CODE } from './txTracker.js';

/** Forwards in flight at once, at most (the transport queues per peer; this bounds our promises). */
const FORWARDS_IN_FLIGHT_MAX = 64;

export class Handover {
  /** Invariant: #held.length + #inFlight <= heldMax (a failed forward comes back into that room). */
  #held: OrderedEnvelope[] = [];
  #sending = false;
  #dropped = 0;
  /** Forwards sent and not yet answered. Invariant: 0 <= #inFlight <= FORWARDS_IN_FLIGHT_MAX. */
  #inFlight = 0;

  constructor(
    private readonly heldMax: number,
    private readonly logger: Logger,
    private readonly forward: (leaderId: number, envelope: Uint8Array) => Promise<void>,
  ) {
    assert(Number.isSafeInteger(heldMax) && heldMax > 0, 'heldMax must be a positive integer');
  }

  get size(): number {
    return this.#held.length;
  }

  /** Held plus forwarded but not yet taken: a stopping node waits for this to reach 0. */
  get unsettled(): number {
    return this.#held.length + this.#inFlight;
  }

  /** Envelopes dropped because more than heldMax were held (should stay 0). */
  get dropped(): number {
    return this.#dropped;
  }

  hold(envelopes: readonly OrderedEnvelope[]): void {
    if (envelopes.length === 0) return;
    this.#held = this.#held.concat(envelopes);
    // Forwards in flight keep their room: if they fail they are held again.
    const excess = this.#held.length + this.#inFlight - this.heldMax;
    if (excess > 0) {
      this.#held.splice(0, excess);
      this.#dropped += excess;
      this.logger.error({ dropped: excess, heldMax: this.heldMax }, `handover queue full: ${excess} accepted envelopes dropped`);
    }
    this.#assertBound();
  }

  /** Everything held (this node leads again and orders them itself). */
  takeAll(): OrderedEnvelope[] {
    return this.#held.splice(0);
  }

  /** Forwards what is held to `leaderId`; what fails stays held for the next attempt. */
  flush(leaderId: number): void {
    if (this.#sending || this.#held.length === 0) return;
    this.#sending = true;
    void this.#send(leaderId).finally(() => {
      this.#sending = false;
    });
  }

  async #send(leaderId: number): Promise<void> {
    let forwarded = 0;
    while (this.#held.length > 0) {
      const chunk = this.#held.splice(0, FORWARDS_IN_FLIGHT_MAX);
      this.#inFlight += chunk.length;
      this.#assertBound();
      const results = await Promise.allSettled(chunk.map((m) => this.forward(leaderId, m.bytes)));
      this.#inFlight -= chunk.length;
      // A duplicate was taken already (an earlier forward whose answer was lost, or a client's retry).
      const failed = chunk.filter((_, i) => results[i]!.status === 'rejected' && !isDuplicate((results[i] as PromiseRejectedResult).reason));
      forwarded += chunk.length - failed.length;
      if (failed.length > 0) {
        const reason = (results.find((r, i) => r.status === 'rejected' && failed.includes(chunk[i]!)) as PromiseRejectedResult).reason as unknown;
        this.#held = failed.concat(this.#held);
        this.#assertBound();
        this.logger.warn(
          { leader: leaderId, failed: failed.length, err: String(reason) },
          `handover to leader ${leaderId}: ${failed.length} envelopes not taken, will retry`,
        );
        break;
      }
    }
    if (forwarded > 0) this.logger.info({ leader: leaderId, forwarded }, `handed ${forwarded} accepted envelopes over to leader ${leaderId}`);
  }

  #assertBound(): void {
    assert(this.#inFlight >= 0 && this.#inFlight <= FORWARDS_IN_FLIGHT_MAX, `handover: ${this.#inFlight} forwards in flight`);
    assert(this.#held.length + this.#inFlight <= this.heldMax, `handover: ${this.#held.length} held + ${this.#inFlight} in flight > heldMax ${this.heldMax}`);
  }
}

function isDuplicate(reason: unknown): boolean {
  return reason instanceof OrdererError && reason.code === DUPLICATE_TX_CODE;
}
