// The bounded queue of encoded frames waiting to be written to one peer.
//
// Two lanes, each bounded by framesMax frames and bytesMax bytes on its own:
// control frames (heartbeats, votes, append responses...: see lanes.ts) are
// handed out first, in FIFO order; bulk frames (appends, snapshots, forwarded
// submit batches) after them, round-robin across channels (FIFO within one),
// so one channel's backlog does not hold back another's.
//
// Two admission rules, because the two kinds of traffic want different
// things: a consensus frame is pushed only if it fits now (Raft retries, and
// the main thread must never wait on a slow peer); a forwarded submit waits
// for room, in a bounded FIFO of waiters, because losing a client's envelope
// is worse than making its Broadcast stream wait.
//
// A bulk consensus frame refused for lack of room reserves its size: until a
// frame at least that large is admitted, smaller bulk consensus frames are
// admitted only into the room beyond the reservation. So a large MsgApp that
// did not fit is not kept out forever by a stream of small ones: once the
// lane has drained enough, its retry fits.

import assert from 'node:assert/strict';
import type { FrameBytes } from './framePieces.js';
import type { Lane } from './lanes.js';

export interface QueuedFrame {
  /** The encoded frame: one buffer, or pieces (a large entry's data not copied); `length` is its size either way. */
  readonly bytes: FrameBytes;
  /** For the drop counter's label and the bulk lane's round-robin. */
  readonly channel: string;
  readonly lane: Lane;
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
  // Invariant: #controlBytes = sum of bytes.length of the non-cancelled frames in #control;
  // #control.length <= framesMax and #controlBytes <= bytesMax.
  readonly #control: QueuedFrame[] = [];
  #controlBytes = 0;
  // Invariant: every FIFO in #bulk is non-empty; Map order is the round-robin order (next channel first).
  // #bulkFrames = total length of the FIFOs <= framesMax; #bulkBytes = sum over their non-cancelled frames <= bytesMax.
  readonly #bulk = new Map<string, QueuedFrame[]>();
  #bulkFrames = 0;
  #bulkBytes = 0;
  /** Size of the largest bulk consensus frame refused for room since a frame that large was admitted; 0 if none. */
  #reservedBytes = 0;
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
    return this.#control.length + this.#bulkFrames;
  }

  get bytes(): number {
    return this.#controlBytes + this.#bulkBytes;
  }

  /** Forwarded envelopes waiting for room (a batch frame counts its envelopes). */
  get waiting(): number {
    return this.#waitingSubmits;
  }

  /** Bytes held for a large bulk frame that was refused (see the file comment). */
  get reservedBytes(): number {
    return this.#reservedBytes;
  }

  /** Queues `frame` if it fits its lane now (and, in the bulk lane, nobody is waiting ahead of it); false otherwise. */
  tryPush(frame: QueuedFrame): boolean {
    const size = frame.bytes.length;
    if (frame.lane === 'control') {
      if (this.#control.length >= this.framesMax || this.#controlBytes + size > this.bytesMax) return false;
      this.#control.push(frame);
      this.#controlBytes += size;
      return true;
    }
    if (this.#waiters.length > 0) return false;
    if (!this.#bulkFits(size, frame.consensus)) {
      if (frame.consensus && size <= this.bytesMax) this.#reservedBytes = Math.max(this.#reservedBytes, size);
      return false;
    }
    this.#appendBulk(frame);
    return true;
  }

  /**
   * Queues a bulk `frame` now ('queued'), or keeps it in the FIFO of waiters that
   * `shift` admits as room frees up ('waiting'), or refuses it when the
   * waiters bound is reached ('full'; nothing is kept then).
   */
  pushOrWait(frame: QueuedFrame): 'queued' | 'waiting' | 'full' {
    assert.equal(frame.lane, 'bulk', 'only bulk frames wait for room');
    assert.ok(frame.bytes.length <= this.bytesMax, `frame of ${frame.bytes.length} bytes can never fit a queue of ${this.bytesMax}`);
    if (this.tryPush(frame)) return 'queued';
    const submits = submitsOf(frame);
    if (this.#waitingSubmits + submits > this.waitersMax) return 'full';
    this.#waiters.push(frame);
    this.#waitingSubmits += submits;
    return 'waiting';
  }

  /**
   * The next frame to write — control first, then bulk round-robin across
   * channels — skipping cancelled ones, if it is at most `bytesMax` long (else
   * it stays next in line); admits waiters into the freed room.
   */
  shift(bytesMax = Number.POSITIVE_INFINITY): QueuedFrame | undefined {
    const control = this.#firstLive(this.#control);
    if (control !== undefined) {
      if (control.bytes.length > bytesMax) return undefined;
      this.#control.shift();
      this.#controlBytes -= control.bytes.length;
      control.dequeued = true;
      return control;
    }
    for (const [channel, fifo] of this.#bulk) {
      const before = fifo.length;
      const frame = this.#firstLive(fifo);
      this.#bulkFrames -= before - fifo.length;
      if (frame === undefined) {
        this.#bulk.delete(channel);
        continue;
      }
      if (frame.bytes.length > bytesMax) return undefined;
      fifo.shift();
      this.#bulkFrames--;
      this.#bulkBytes -= frame.bytes.length;
      // To the back of the round-robin order.
      this.#bulk.delete(channel);
      if (fifo.length > 0) this.#bulk.set(channel, fifo);
      frame.dequeued = true;
      this.#admitWaiters();
      return frame;
    }
    return undefined;
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
    if (frame.lane === 'control') {
      this.#controlBytes -= frame.bytes.length;
      return;
    }
    this.#bulkBytes -= frame.bytes.length;
    this.#admitWaiters();
  }

  /** Empties the queue and the waiters (the stream broke); returns the frames that were dropped. */
  clear(): QueuedFrame[] {
    const queued = [...this.#control, ...[...this.#bulk.values()].flat(), ...this.#waiters];
    const dropped = queued.filter((f) => !f.cancelled);
    for (const frame of dropped) frame.cancelled = true;
    this.#control.length = 0;
    this.#bulk.clear();
    this.#waiters.length = 0;
    this.#waitingSubmits = 0;
    this.#controlBytes = 0;
    this.#bulkFrames = 0;
    this.#bulkBytes = 0;
    this.#reservedBytes = 0;
    return dropped;
  }

  /** Drops the cancelled frames at the head of `fifo`; returns its first live frame. */
  #firstLive(fifo: QueuedFrame[]): QueuedFrame | undefined {
    while (fifo.length > 0 && fifo[0]!.cancelled) fifo.shift();
    return fifo[0];
  }

  /**
   * Room in the bulk lane for a frame of `size` bytes. A consensus frame
   * smaller than the reservation must also leave the reserved bytes and one
   * frame slot free; waiters (admitted in FIFO order, ahead of any consensus
   * frame) ignore the reservation.
   */
  #bulkFits(size: number, consensus: boolean): boolean {
    if (this.#bulkFrames >= this.framesMax || this.#bulkBytes + size > this.bytesMax) return false;
    if (!consensus || this.#reservedBytes === 0 || size >= this.#reservedBytes) return true;
    return this.#bulkFrames + 1 < this.framesMax && this.#bulkBytes + size + this.#reservedBytes <= this.bytesMax;
  }

  #appendBulk(frame: QueuedFrame): void {
    const size = frame.bytes.length;
    const fifo = this.#bulk.get(frame.channel);
    if (fifo === undefined) this.#bulk.set(frame.channel, [frame]);
    else fifo.push(frame);
    this.#bulkFrames++;
    this.#bulkBytes += size;
    if (frame.consensus && size >= this.#reservedBytes) this.#reservedBytes = 0;
    assert.ok(this.#bulkBytes <= this.bytesMax && this.#bulkFrames <= this.framesMax, 'send queue over its bounds');
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#bulkFits(this.#waiters[0]!.bytes.length, false)) {
      const frame = this.#waiters.shift()!;
      this.#waitingSubmits -= submitsOf(frame);
      this.#appendBulk(frame);
    }
  }
}

function submitsOf(frame: QueuedFrame): number {
  return frame.submits ?? 1;
}
