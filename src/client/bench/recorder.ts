// Everything the harness counts while a run goes on: answers by status,
// Broadcast acknowledgement latency from the intended send time (wrk2's
// coordinated-omission correction) and from the actual send, end-to-end
// commit latency, committed tx and blocks — for the whole run, per round
// (phase) and per one-second interval.

import { Status } from '../../block/index.js';
import { statusName } from './broadcastLane.js';
import { GapTracker } from './gaps.js';
import { newHistogram, percentiles, record, type Histogram, type Percentiles } from './latency.js';

export interface Counts {
  sent: number;
  acknowledged: number;
  refused: Record<string, number>;
  /** Transactions in delivered blocks (anyone's), and those the harness sent. */
  committedTx: number;
  committedOwn: number;
  blocks: number;
}

function zeroCounts(): Counts {
  return { sent: 0, acknowledged: 0, refused: {}, committedTx: 0, committedOwn: 0, blocks: 0 };
}

class Bucket {
  readonly counts = zeroCounts();
  /** Acknowledgement latency from the intended send time. */
  readonly ack: Histogram = newHistogram();
  /** Acknowledgement latency from the actual send (what an uncorrected tool shows). */
  readonly ackService: Histogram = newHistogram();
  /** Intended send time to the block holding the envelope delivered. */
  readonly commit: Histogram = newHistogram();

  summary(): BucketSummary {
    return { ...this.counts, refused: { ...this.counts.refused }, ack: percentiles(this.ack), ackService: percentiles(this.ackService), commit: percentiles(this.commit) };
  }
}

export interface BucketSummary extends Counts {
  readonly ack: Percentiles;
  readonly ackService: Percentiles;
  readonly commit: Percentiles;
}

export class Recorder {
  readonly total = new Bucket();
  readonly #rounds: Bucket[] = [];
  #round: Bucket = this.total;
  #second = new Bucket();
  /** tx id -> intended send time, for envelopes sent and not yet seen committed (or refused). */
  readonly #pending = new Map<string, number>();
  readonly ackGaps = new GapTracker();
  readonly commitGaps = new GapTracker();

  startRound(): void {
    this.#round = new Bucket();
    this.#rounds.push(this.#round);
  }

  get rounds(): readonly Bucket[] {
    return this.#rounds;
  }

  get awaitingCommit(): number {
    return this.#pending.size;
  }

  sent(txId: string, intendedMs: number): void {
    this.total.counts.sent++;
    this.#round.counts.sent++;
    this.#second.counts.sent++;
    this.#pending.set(txId, intendedMs);
  }

  answer(status: number, txId: string, intendedMs: number, sentMs: number, nowMs: number): void {
    if (status === Status.SUCCESS) {
      this.total.counts.acknowledged++;
      this.#round.counts.acknowledged++;
      this.#second.counts.acknowledged++;
      record(nowMs - intendedMs, this.total.ack, this.#round.ack, this.#second.ack);
      record(nowMs - sentMs, this.total.ackService, this.#round.ackService, this.#second.ackService);
      this.ackGaps.event(nowMs);
      return;
    }
    this.#pending.delete(txId);
    const name = statusName(status);
    for (const bucket of [this.total, this.#round, this.#second]) bucket.counts.refused[name] = (bucket.counts.refused[name] ?? 0) + 1;
  }

  /** A delivered block's tx ids. */
  block(txIds: readonly string[], nowMs: number): void {
    let own = 0;
    for (const txId of txIds) {
      const intendedMs = this.#pending.get(txId);
      if (intendedMs === undefined) continue;
      this.#pending.delete(txId);
      own++;
      record(nowMs - intendedMs, this.total.commit, this.#round.commit, this.#second.commit);
    }
    for (const bucket of [this.total, this.#round, this.#second]) {
      bucket.counts.blocks++;
      bucket.counts.committedTx += txIds.length;
      bucket.counts.committedOwn += own;
    }
    this.commitGaps.event(nowMs);
  }

  /** The interval since the last call, then a fresh one. */
  takeSecond(): BucketSummary {
    const summary = this.#second.summary();
    this.#second = new Bucket();
    return summary;
  }
}
