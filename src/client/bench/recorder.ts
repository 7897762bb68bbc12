// Everything the harness counts while a run goes on: answers by status,
// Broadcast acknowledgement latency from the intended send time (wrk2's
// coordinated-omission correction) and from the actual send, end-to-end
// commit latency, committed tx and blocks — per round (phase), per
// one-second interval, and for the whole run (the rounds added up). Each
// latency is recorded into as few histograms as the figures need.

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

export interface BucketSummary extends Counts {
  readonly ack: Percentiles;
  readonly ackService: Percentiles;
  readonly commit: Percentiles;
}

class Bucket {
  readonly counts: Counts = { sent: 0, acknowledged: 0, refused: {}, committedTx: 0, committedOwn: 0, blocks: 0 };
  /** Acknowledgement latency from the intended send time. */
  readonly ack: Histogram = newHistogram();
  /** Acknowledgement latency from the actual send (what an uncorrected tool shows); rounds only. */
  readonly ackService: Histogram = newHistogram();
  /** Intended send time to the block holding the envelope delivered. */
  readonly commit: Histogram = newHistogram();

  summary(withMean = true): BucketSummary {
    return {
      ...this.counts,
      refused: { ...this.counts.refused },
      ack: percentiles(this.ack, withMean),
      ackService: percentiles(this.ackService, withMean),
      commit: percentiles(this.commit, withMean),
    };
  }

  add(other: Bucket): void {
    const c = this.counts;
    const o = other.counts;
    c.sent += o.sent;
    c.acknowledged += o.acknowledged;
    c.committedTx += o.committedTx;
    c.committedOwn += o.committedOwn;
    c.blocks += o.blocks;
    for (const [status, n] of Object.entries(o.refused)) c.refused[status] = (c.refused[status] ?? 0) + n;
    this.ack.add(other.ack);
    this.ackService.add(other.ackService);
    this.commit.add(other.commit);
  }
}

export class Recorder {
  readonly #rounds: Bucket[] = [];
  /** What arrives before the first round (nothing is sent then) still counts somewhere. */
  #round: Bucket = new Bucket();
  #second = new Bucket();
  /** tx id -> intended send time, for envelopes sent and not yet seen committed (or refused). */
  readonly #pending = new Map<string, number>();
  readonly ackGaps = new GapTracker();
  readonly commitGaps = new GapTracker();

  startRound(): void {
    this.#round = new Bucket();
    this.#rounds.push(this.#round);
  }

  /** Each round's figures (the last one includes the drain after sending stopped). */
  roundSummaries(): BucketSummary[] {
    return this.#rounds.map((r) => r.summary());
  }

  /** The round going on, so far (a find-max step is judged on it when it ends). */
  currentRoundSummary(): BucketSummary {
    return this.#round.summary(false);
  }

  /** The whole run: every round added up. */
  totalSummary(): { summary: BucketSummary; ack: Histogram; ackService: Histogram; commit: Histogram } {
    const total = new Bucket();
    for (const round of this.#rounds) total.add(round);
    return { summary: total.summary(), ack: total.ack, ackService: total.ackService, commit: total.commit };
  }

  get awaitingCommit(): number {
    return this.#pending.size;
  }

  sent(txId: string, intendedMs: number): void {
    this.#round.counts.sent++;
    this.#second.counts.sent++;
    this.#pending.set(txId, intendedMs);
  }

  answer(status: number, txId: string, intendedMs: number, sentMs: number, nowMs: number): void {
    if (status === Status.SUCCESS) {
      this.#round.counts.acknowledged++;
      this.#second.counts.acknowledged++;
      record(nowMs - intendedMs, this.#round.ack, this.#second.ack);
      record(nowMs - sentMs, this.#round.ackService);
      this.ackGaps.event(nowMs);
      return;
    }
    this.#pending.delete(txId);
    const name = statusName(status);
    for (const bucket of [this.#round, this.#second]) bucket.counts.refused[name] = (bucket.counts.refused[name] ?? 0) + 1;
  }

  /** A delivered block's tx ids. */
  block(txIds: readonly string[], nowMs: number): void {
    let own = 0;
    const round = this.#round.commit;
    const second = this.#second.commit;
    for (const txId of txIds) {
      const intendedMs = this.#pending.get(txId);
      if (intendedMs === undefined) continue;
      this.#pending.delete(txId);
      own++;
      record(nowMs - intendedMs, round, second);
    }
    for (const bucket of [this.#round, this.#second]) {
      bucket.counts.blocks++;
      bucket.counts.committedTx += txIds.length;
      bucket.counts.committedOwn += own;
    }
    this.commitGaps.event(nowMs);
  }

  /** The interval since the last call, then a fresh one. */
  takeSecond(): BucketSummary {
    const summary = this.#second.summary(false);
    this.#second = new Bucket();
    return summary;
  }
}
