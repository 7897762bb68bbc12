// The bounded queue of encoded frames waiting to be written to one peer.
//
// Two admission rules, because the two kinds of traffic want different
// things: a consensus frame is pushed only if it fits now (Raft retries, and
// the main thread must never wait on a slow peer); a forwarded submit waits
// for room, in a bounded FIFO of waiters, because losing a client's envelope
// is worse than making its Broadcast stream wait.

import assert from 'node:assert/strict';

export interface QueuedFrame {
  readonly bytes: Buffer;
  /** For the drop counter's label. */
  readonly channel: string;
  /** Consensus frames may be dropped; submit frames are only ever cancelled by their owner. */
  readonly consensus: boolean;
  /** A MsgSnap: its fate (written or dropped) is reported to the chain. */
  readonly snapshot: boolean;
  /** Set when the frame must not be written after all (its submit timed out or was abandoned). */
  cancelled: boolean;
  /** Forwarded envelopes the frame carries (a SubmitBatch): what the waiters bound counts; 1 when absent. */
  readonly submits?: number;
  /** Set once shift handed the frame out to be written: cancelling it then frees no room. */
  dequeued?: boolean;
}

export class SendQueue {
  // Invariant: #bytes = sum of bytes.length of the non-cancelled frames in #frames;
  // #frames.length <= framesMax and #bytes <= bytesMax.
  readonly #frames: QueuedFrame[] = [];
  #bytes = 0;
  // Invariant: #waitingSubmits = sum of submitsOf() over #waiters <= waitersMax; a waiter exists only while its frame does not fit.
  readonly #waiters: QueuedFrame[] = [];
  #waitingSubmits = 0;

  constructor(
    readonly framesMax: number,
    readonly bytesMax: number,
    readonly waitersMax: number,
  ) {
    assert.ok(framesMax >= 1 && bytesMax >= 1 && waitersMax >= 0, 'send queue bounds must be positive');
  }

  get length(): number {
    return this.#frames.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Forwarded envelopes waiting for room (a batch frame counts its envelopes). */
  get waiting(): number {
    return this.#waitingSubmits;
  }

  /** Queues `frame` if it fits now (and nobody is waiting ahead of it); false otherwise. */
  tryPush(frame: QueuedFrame): boolean {
    if (this.#waiters.length > 0 || !this.#fits(frame.bytes.length)) return false;
    this.#append(frame);
    return true;
  }

  /**
   * Queues `frame` now ('queued'), or keeps it in the FIFO of waiters that
   * `shift` admits as room frees up ('waiting'), or refuses it when the
   * waiters bound is reached ('full'; nothing is kept then).
   */
  pushOrWait(frame: QueuedFrame): 'queued' | 'waiting' | 'full' {
    assert.ok(frame.bytes.length <= this.bytesMax, `frame of ${frame.bytes.length} bytes can never fit a queue of ${this.bytesMax}`);
    if (this.tryPush(frame)) return 'queued';
    const submits = submitsOf(frame);
    if (this.#waitingSubmits + submits > this.waitersMax) return 'full';
    this.#waiters.push(frame);
    this.#waitingSubmits += submits;
    return 'waiting';
  }

  /**
   * The next frame to write, skipping cancelled ones, if it is at most
   * `bytesMax` long (else it stays first in line); admits waiters into the freed room.
   */
  shift(bytesMax = Number.POSITIVE_INFINITY): QueuedFrame | undefined {
    for (;;) {
      const frame = this.#frames[0];
      if (frame === undefined) return undefined;
      if (!frame.cancelled && frame.bytes.length > bytesMax) return undefined;
      this.#frames.shift();
      if (frame.cancelled) continue;
      frame.dequeued = true;
      this.#bytes -= frame.bytes.length;
      this.#admitWaiters();
      return frame;
    }
  }

  /** Marks a queued or waiting frame as not to be written and releases its room; a frame already handed out to be written is left alone. */
  cancel(frame: QueuedFrame): void {
    if (frame.cancelled || frame.dequeued === true) return;
    frame.cancelled = true;
    const waiting = this.#waiters.indexOf(frame);
    if (waiting >= 0) {
      this.#waiters.splice(waiting, 1);
      this.#waitingSubmits -= submitsOf(frame);
      return;
    }
    this.#bytes -= frame.bytes.length;
    this.#admitWaiters();
  }

  /** Empties the queue and the waiters (the stream broke); returns the frames that were dropped. */
  clear(): QueuedFrame[] {
    const dropped = [...this.#frames, ...this.#waiters].filter((f) => !f.cancelled);
    for (const frame of dropped) frame.cancelled = true;
    this.#frames.length = 0;
    this.#waiters.length = 0;
    this.#waitingSubmits = 0;
    this.#bytes = 0;
    return dropped;
  }

  #fits(frameBytes: number): boolean {
    return this.#frames.length < this.framesMax && this.#bytes + frameBytes <= this.bytesMax;
  }

  #append(frame: QueuedFrame): void {
    this.#frames.push(frame);
    this.#bytes += frame.bytes.length;
    assert.ok(this.#bytes <= this.bytesMax && this.#frames.length <= this.framesMax, 'send queue over its bounds');
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0]!.bytes.length)) {
      const frame = this.#waiters.shift()!;
      this.#waitingSubmits -= submitsOf(frame);
      this.#append(frame);
    }
  }
}

function submitsOf(frame: QueuedFrame): number {
  return frame.submits ?? 1;
}
