// Everything the harness counts while a run goes on: answers by status,
// Broadcast acknowledgement latency from the intended send time (wrk2's
// coordinated-omission correction) and from the actual send, end-to-end
// commit latency, committed tx and blocks — per round (phase), per
// one-second interval, and for the whole run (the rounds added up). Each
// latency is recorded into as few histograms as the figures need.

import { Status } from '../../block/index.js';
import { statusName } from './broadcastLane.js';
import { GapTracker } from './gaps.js';
import { newHistogram, percentiles, recordMs, type Histogram, type Percentiles } from './latency.js';
import { PendingTable } from './txKey.js';

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
  readonly counts: Counts = emptyCounts();
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

/**
 * Counts per round and channel (each latency recorded once, into its round
 * and channel's histogram and the current second's); totals add channels and
 * rounds up when asked. A run of one channel pays for nothing more.
 */
export class Recorder {
  readonly #channels: number;
  /** round -> channel -> bucket. */
  readonly #rounds: Bucket[][] = [];
  /** What arrives before the first round (nothing is sent then) still counts somewhere. */
  #round: Bucket[];
  #second = new Bucket();
  /** Several channels: each one's counts over the current second (no histograms: the per-second percentiles are the run's). */
  #secondByChannel: Counts[] | undefined;
  /** Per channel: tx key (txKey.ts) -> intended send time, for envelopes sent and not yet seen committed (or refused). */
  readonly #pending: PendingTable[];
  /** SUCCESS answers so far, every round and channel. */
  acknowledged = 0;
  readonly ackGaps = new GapTracker();
  readonly commitGaps = new GapTracker();

  constructor(channels = 1) {
    this.#channels = channels;
    this.#round = this.#newRound();
    this.#pending = Array.from({ length: channels }, () => new PendingTable());
    this.#secondByChannel = channels > 1 ? Array.from({ length: channels }, emptyCounts) : undefined;
  }

  #newRound(): Bucket[] {
    return Array.from({ length: this.#channels }, () => new Bucket());
  }

  startRound(): void {
    this.#round = this.#newRound();
    this.#rounds.push(this.#round);
  }

  /** Each round's figures, channels added up (the last one includes the drain after sending stopped). */
  roundSummaries(): BucketSummary[] {
    return this.#rounds.map((r) => added(r).summary());
  }

  /** The round going on, so far, channels added up (a find-max step is judged on it when it ends). */
  currentRoundSummary(): BucketSummary {
    return added(this.#round).summary(false);
  }

  /** One channel over the whole run. */
  channelSummary(channel: number): BucketSummary {
    return added(this.#rounds.map((r) => r[channel]!)).summary();
  }

  /** The whole run: every round and channel added up. */
  totalSummary(): { summary: BucketSummary; ack: Histogram; ackService: Histogram; commit: Histogram } {
    const total = added(this.#rounds.flat());
    return { summary: total.summary(), ack: total.ack, ackService: total.ackService, commit: total.commit };
  }

  get awaitingCommit(): number {
    return this.#pending.reduce((sum, p) => sum + p.size, 0);
  }

  sent(channel: number, txKey: number, intendedMs: number): void {
    this.#round[channel]!.counts.sent++;
    this.#second.counts.sent++;
    if (this.#secondByChannel !== undefined) this.#secondByChannel[channel]!.sent++;
    this.#pending[channel]!.set(txKey, intendedMs);
  }

  answer(channel: number, status: number, txKey: number, intendedMs: number, sentMs: number, nowMs: number): void {
    const round = this.#round[channel]!;
    if (status === Status.SUCCESS) {
      this.acknowledged++;
      round.counts.acknowledged++;
      this.#second.counts.acknowledged++;
      if (this.#secondByChannel !== undefined) this.#secondByChannel[channel]!.acknowledged++;
      recordMs(nowMs - intendedMs, round.ack, this.#second.ack);
      recordMs(nowMs - sentMs, round.ackService);
      this.ackGaps.event(nowMs);
      return;
    }
    this.#pending[channel]!.take(txKey);
    const name = statusName(status);
    for (const counts of [round.counts, this.#second.counts, this.#secondByChannel?.[channel]]) {
      if (counts !== undefined) counts.refused[name] = (counts.refused[name] ?? 0) + 1;
    }
  }

  /** A delivered block on `channel`: the keys of its `count` transactions (envelopes with a tx id) are keys[0..count). */
  block(channel: number, keys: Float64Array, count: number, nowMs: number): void {
    let own = 0;
    const bucket = this.#round[channel]!;
    const round = bucket.commit;
    const second = this.#second.commit;
    const pending = this.#pending[channel]!;
    for (let i = 0; i < count; i++) {
      const intendedMs = pending.take(keys[i]!);
      if (Number.isNaN(intendedMs)) continue;
      own++;
      recordMs(nowMs - intendedMs, round, second);
    }
    this.#countBlock(bucket.counts, count, own);
    this.#countBlock(this.#second.counts, count, own);
    if (this.#secondByChannel !== undefined) this.#countBlock(this.#secondByChannel[channel]!, count, own);
    this.commitGaps.event(nowMs);
  }

  #countBlock(counts: Counts, transactions: number, own: number): void {
    counts.blocks++;
    counts.committedTx += transactions;
    counts.committedOwn += own;
  }

  /** The interval since the last call, then a fresh one; with several channels, each one's counts over it too (in channel order). */
  takeSecond(): BucketSummary & { channels?: Counts[] } {
    const summary = this.#second.summary(false);
    this.#second = new Bucket();
    const channels = this.#secondByChannel;
    if (channels === undefined) return summary;
    this.#secondByChannel = Array.from({ length: this.#channels }, emptyCounts);
    return { ...summary, channels };
  }
}

function emptyCounts(): Counts {
  return { sent: 0, acknowledged: 0, refused: {}, committedTx: 0, committedOwn: 0, blocks: 0 };
}

function added(buckets: readonly Bucket[]): Bucket {
  if (buckets.length === 1) return buckets[0]!;
  const total = new Bucket();
  for (const b of buckets) total.add(b);
  return total;
}
