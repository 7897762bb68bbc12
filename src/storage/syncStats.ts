// Timing of WAL syncs: a counter, a Prometheus-style histogram (exported later
// as consensus_etcdraft_data_persist_duration, in seconds) and a bounded window
// of recent durations for quantiles. A sync slower than half the election
// timeout is logged as a warning: followers start elections when the leader's
// heartbeats wait behind the disk.

import type { Logger } from 'pino';

/** Fabric's name for this histogram (orderer operations metrics). */
export const persistDurationMetricName = 'consensus_etcdraft_data_persist_duration';

/** Upper bounds in seconds, Prometheus convention (le), +Inf implied. */
export const persistDurationBucketsSeconds: readonly number[] = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Recent sync durations kept for quantiles (bench, debugging); older ones roll off. */
const recentWindowMax = 8192;

export interface SyncHistogram {
  readonly bucketsSeconds: readonly number[];
  /** counts[i] = syncs with duration <= bucketsSeconds[i] (cumulative, as Prometheus); last = +Inf. */
  readonly cumulativeCounts: readonly number[];
  readonly count: number;
  readonly sumSeconds: number;
}

export class SyncStats {
  /** Syncs completed (successful or not). */
  syncCount = 0;
  /** Submissions (one per Ready / ledger append) carried by those syncs. */
  submissionCount = 0;
  #bucketCounts = new Array<number>(persistDurationBucketsSeconds.length + 1).fill(0);
  #sumSeconds = 0;
  /** Ring buffer; invariant: #recent.length <= recentWindowMax. */
  #recent: number[] = [];
  #recentNext = 0;

  constructor(
    private readonly logger: Logger,
    /** Warn when a sync takes longer than this: half the election timeout. */
    readonly slowSyncThresholdMs: number,
    private readonly electionTimeoutMs: number,
  ) {}

  record(durationMs: number, submissions: number, channels: readonly string[]): void {
    this.syncCount += 1;
    this.submissionCount += submissions;
    const seconds = durationMs / 1000;
    this.#sumSeconds += seconds;
    let bucket = persistDurationBucketsSeconds.findIndex((le) => seconds <= le);
    if (bucket < 0) bucket = persistDurationBucketsSeconds.length;
    this.#bucketCounts[bucket]! += 1;
    if (this.#recent.length < recentWindowMax) this.#recent.push(durationMs);
    else this.#recent[this.#recentNext] = durationMs;
    this.#recentNext = (this.#recentNext + 1) % recentWindowMax;
    if (durationMs > this.slowSyncThresholdMs) {
      this.logger.warn(
        { durationMs, electionTimeoutMs: this.electionTimeoutMs, submissions, channels },
        `WAL sync took ${durationMs.toFixed(1)} ms, more than half of the election timeout ` +
          `(${this.electionTimeoutMs} ms): the disk is too slow, this may cause leader elections`,
      );
    }
  }

  histogram(): SyncHistogram {
    const cumulativeCounts: number[] = [];
    let running = 0;
    for (const c of this.#bucketCounts) {
      running += c;
      cumulativeCounts.push(running);
    }
    return { bucketsSeconds: persistDurationBucketsSeconds, cumulativeCounts, count: this.syncCount, sumSeconds: this.#sumSeconds };
  }

  /** Quantile `q` in [0, 1] of the recent sync durations in ms (nearest rank); NaN if none yet. */
  recentQuantileMs(q: number): number {
    if (this.#recent.length === 0) return Number.NaN;
    const sorted = [...this.#recent].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank]!;
  }

  resetRecent(): void {
    this.#recent = [];
    this.#recentNext = 0;
  }
}
