// "Find the maximum": each step of a find-max phase is judged when it ends,
// on what the step measured — its latency percentiles and refused share
// against the user's bounds, and whether the orderer kept up with the
// offered rate at all (a stalled orderer acknowledges little, and the few
// acknowledgements it sends may be fast). The maximum sustainable rate is
// the last step that passed before the first that did not.

import type { BucketSummary } from './recorder.js';
import type { FindMaxPhase, StepBound } from './schedule.js';

/** A step must have acknowledged at least this share of the envelopes it made due. */
export const KEEP_UP = 0.9;

export interface StepResult {
  /** Offered rate, tx/s. */
  readonly rate: number;
  readonly durationS: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly refused: number;
  readonly acknowledgedTxPerS: number;
  readonly committedTxPerS: number;
  /** The step's figure for each bound's metric, in the bound's order (ms, or a fraction). */
  readonly figures: (number | null)[];
  readonly ackP50: number | null;
  readonly ackP99: number | null;
  readonly commitP50: number | null;
  readonly commitP99: number | null;
  readonly refusedRatio: number | null;
  readonly pass: boolean;
  /** Why it did not pass (each bound broken, or not keeping up); empty when it passed. */
  readonly reasons: string[];
}

export interface FindMaxResult {
  readonly phase: string;
  readonly bounds: string[];
  /** The bounds as the steps were judged against them: metric, comparison and value (ms for latencies, a fraction for refused_ratio). */
  readonly limits: { readonly expression: string; readonly metric: string; readonly op: '<' | '<='; readonly value: number }[];
  readonly keepUp: number;
  readonly steps: StepResult[];
  /** The offered rate of the last step that passed; null when the first step failed. */
  readonly maxSustainableRate: number | null;
  /** What ended the search: a step failed, the last step (max_rate / max_steps) passed, or the run was interrupted. */
  readonly ended: 'step failed' | 'no more steps' | 'interrupted';
}

const LATENCY_KEY = { p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p999' } as const;

/** The figure a bound looks at in one step's measurements. */
export function boundFigure(bound: StepBound, s: BucketSummary): number | null {
  const refused = Object.values(s.refused).reduce((a, b) => a + b, 0);
  if (bound.metric === 'refused_ratio') return s.acknowledged + refused === 0 ? null : refused / (s.acknowledged + refused);
  const [kind, p] = bound.metric.split('_') as ['ack' | 'commit', keyof typeof LATENCY_KEY];
  return s[kind][LATENCY_KEY[p]];
}

/** Judges one step that offered `rate` tx/s for `durationS`. */
export function judgeStep(rate: number, durationS: number, s: BucketSummary, bounds: readonly StepBound[]): StepResult {
  const refused = Object.values(s.refused).reduce((a, b) => a + b, 0);
  const reasons: string[] = [];
  const figures = bounds.map((bound) => {
    const value = boundFigure(bound, s);
    // No figure (nothing acknowledged or committed in the step) breaks a latency bound: nothing came back in time.
    const holds = value !== null ? (bound.op === '<' ? value < bound.value : value <= bound.value) : bound.metric === 'refused_ratio';
    if (!holds) reasons.push(`${bound.expression} broken (${value === null ? 'nothing measured' : round(value)})`);
    return value;
  });
  const due = rate * durationS;
  if (s.acknowledged < due * KEEP_UP)
    reasons.push(`did not keep up: ${s.acknowledged} acknowledged of ${Math.round(due)} due (< ${Math.round(KEEP_UP * 100)}%)`);
  return {
    rate,
    durationS,
    sent: s.sent,
    acknowledged: s.acknowledged,
    refused,
    acknowledgedTxPerS: round(s.acknowledged / durationS),
    committedTxPerS: round(s.committedOwn / durationS),
    figures,
    ackP50: s.ack.p50,
    ackP99: s.ack.p99,
    commitP50: s.commit.p50,
    commitP99: s.commit.p99,
    refusedRatio: s.acknowledged + refused === 0 ? null : round(refused / (s.acknowledged + refused)),
    pass: reasons.length === 0,
    reasons,
  };
}

/** The result of a search from its steps so far. */
export function findMaxResult(phase: FindMaxPhase, steps: StepResult[], interrupted: boolean): FindMaxResult {
  const failed = steps.findIndex((s) => !s.pass);
  const passed = failed === -1 ? steps : steps.slice(0, failed);
  return {
    phase: phase.name,
    bounds: phase.bounds.map((b) => b.expression),
    limits: phase.bounds.map(({ expression, metric, op, value }) => ({ expression, metric, op, value })),
    keepUp: KEEP_UP,
    steps,
    maxSustainableRate: passed.at(-1)?.rate ?? null,
    ended: failed !== -1 ? 'step failed' : interrupted ? 'interrupted' : 'no more steps',
  };
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
