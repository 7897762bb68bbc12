// Latency histograms (HdrHistogram, microseconds, 3 significant digits) and
// the percentiles the reports print.

import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Percentiles in milliseconds; null when nothing was recorded. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

const ms = (us: number): number => Math.round(us) / 1000;

/** `withMean` walks the whole histogram once more: per-second intervals leave it out. */
export function percentiles(h: Histogram, withMean = true): Percentiles {
  const count = h.totalCount;
  if (count === 0) return { count, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  return {
    count,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: withMean ? ms(h.mean) : null,
  };
}

/** Percentile points of the whole distribution (for the distribution chart), milliseconds. */
export const DISTRIBUTION_POINTS = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100] as const;

export function distribution(h: Histogram): { percentile: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  return DISTRIBUTION_POINTS.map((p) => ({ percentile: p, ms: ms(p === 100 ? h.maxValue : h.getValueAtPercentile(p)) }));
}

/** Records one latency in milliseconds (performance.now() differences) into one or two histograms (no array per call: once per envelope). */
export function recordMs(ms: number, into: Histogram, alsoInto?: Histogram): void {
  const us = Math.max(1, Math.round(ms * 1000));
  into.recordValue(us);
  alsoInto?.recordValue(us);
}
