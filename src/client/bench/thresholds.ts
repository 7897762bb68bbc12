// Pass/fail gates over a report, for CI: `p99<200ms`, `tps>10000`,
// `commit_p99<=2s`, `refused<1`, `harness_us<15`. Latency names without a
// prefix are Broadcast acknowledgement latency from the intended send time.

import { BenchConfigError } from './errors.js';
import type { BenchReport, ThresholdOutcome } from './report.js';

type Getter = (r: BenchReport) => number | null;

const LATENCY: Readonly<Record<string, 'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean'>> = {
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  'p99.9': 'p999',
  p999: 'p999',
  max: 'max',
  mean: 'mean',
};

/** Every metric a threshold may name, with its unit kind. */
export const THRESHOLD_METRICS: Readonly<Record<string, { get: Getter; latency: boolean }>> = {
  ...Object.fromEntries(
    Object.entries(LATENCY).flatMap(([name, key]) => [
      [name, { get: (r: BenchReport) => r.summary.ack[key], latency: true }],
      [`commit_${name}`, { get: (r: BenchReport) => r.summary.commit[key], latency: true }],
    ]),
  ),
  tps: { get: (r) => r.summary.committedTxPerS, latency: false },
  ack_tps: { get: (r) => r.summary.acknowledgedTxPerS, latency: false },
  blocks_per_s: { get: (r) => r.summary.blocksPerS, latency: false },
  refused: { get: (r) => Object.values(r.summary.refused).reduce((a, b) => a + b, 0), latency: false },
  harness_us: { get: (r) => r.harness.harnessUsPerEnvelope ?? null, latency: false },
};

export interface Threshold {
  readonly expression: string;
  readonly metric: string;
  readonly op: '<' | '<=' | '>' | '>=';
  /** Latencies in ms. */
  readonly value: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

export function parseThreshold(expression: string): Threshold {
  const match = /^\s*([a-z_0-9.]+)\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s)?\s*$/.exec(expression);
  if (match === null) throw new BenchConfigError(`threshold "${expression}" is not <metric><op><number>[unit], e.g. p99<200ms or tps>10000`);
  const [, metric, op, number, unit] = match;
  const known = THRESHOLD_METRICS[metric!];
  if (known === undefined)
    throw new BenchConfigError(`threshold "${expression}": unknown metric "${metric}" (known: ${Object.keys(THRESHOLD_METRICS).join(', ')})`);
  if (unit !== undefined && !known.latency) throw new BenchConfigError(`threshold "${expression}": ${metric} is not a latency, it takes no unit`);
  const value = Number(number) * (known.latency ? UNIT_MS[unit ?? 'ms']! : 1);
  return { expression, metric: metric!, op: op as Threshold['op'], value };
}

export function evaluateThresholds(report: BenchReport, thresholds: readonly Threshold[]): ThresholdOutcome[] {
  return thresholds.map((t) => {
    const value = THRESHOLD_METRICS[t.metric]!.get(report);
    const pass =
      value !== null &&
      Number.isFinite(value) &&
      (t.op === '<' ? value < t.value : t.op === '<=' ? value <= t.value : t.op === '>' ? value > t.value : value >= t.value);
    return { expression: t.expression, value, pass };
  });
}
