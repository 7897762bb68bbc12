// What a benchmark run does over time: phases (rounds) of open-loop rate
// (fixed, a linear ramp, or stepped up to find the maximum) or closed-loop
// backlog, and faults injected into local nodes. Read from flags or from a
// YAML/JSON file; every bad field is a BenchConfigError naming its path
// ("phases[1].rate").

import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BenchConfigError } from './errors.js';

/** Open loop: envelopes are due at a rate (tx/s), ramping linearly from `rate` to `toRate` if given. */
export interface RatePhase {
  readonly kind: 'rate';
  readonly name: string;
  readonly durationS: number;
  readonly rate: number;
  readonly toRate: number;
}

/** Closed loop: keep `backlog` envelopes outstanding (sent, not yet acknowledged). */
export interface BacklogPhase {
  readonly kind: 'backlog';
  readonly name: string;
  readonly durationS: number;
  readonly backlog: number;
}

/** An upper bound a "find the maximum" step must stay within: a latency percentile (ms) or the refused share of answers. */
export interface StepBound {
  readonly expression: string;
  /** ack_p99 (Broadcast acknowledgement), commit_p99 (end to end), refused_ratio. */
  readonly metric: string;
  readonly op: '<' | '<=';
  /** Milliseconds for latencies, a fraction (0..1) for refused_ratio. */
  readonly value: number;
}

/**
 * Open loop, stepping up: `startRate` for `stepS`, then `stepRate` more each
 * step, until a step breaks one of `bounds` (or does not keep up: fewer than
 * KEEP_UP of its due envelopes acknowledged), or `maxRate`/`maxSteps` is
 * reached. The last step within the bounds is the maximum sustainable rate.
 */
export interface FindMaxPhase {
  readonly kind: 'find-max';
  readonly name: string;
  readonly startRate: number;
  readonly stepRate: number;
  readonly stepS: number;
  readonly maxRate: number;
  readonly maxSteps: number;
  readonly bounds: readonly StepBound[];
  /** The longest the phase can run: every step taken. */
  readonly durationS: number;
}

export type Phase = RatePhase | BacklogPhase | FindMaxPhase;

export type FaultAction = 'kill' | 'stop' | 'term';

/** kill = SIGKILL, stop = SIGSTOP (resumed by SIGCONT at restartAtS), term = SIGTERM. */
export interface Fault {
  readonly atS: number;
  readonly action: FaultAction;
  /** 'leader' (whoever leads at atS) or a node id. */
  readonly node: 'leader' | number;
  /** Restart (or SIGCONT) at this time; never if undefined. */
  readonly restartAtS?: number;
}

export interface Schedule {
  readonly phases: readonly Phase[];
  readonly faults: readonly Fault[];
}

export const RATE_MAX = 1_000_000;
export const BACKLOG_MAX = 100_000;
const DURATION_MAX_S = 24 * 3600;

export function scheduleDurationS(schedule: Schedule): number {
  return schedule.phases.reduce((sum, p) => sum + p.durationS, 0);
}

/** The offered rate of each step of a find-max phase, in order (as many as it may take). */
export function findMaxRates(phase: FindMaxPhase): number[] {
  const rates: number[] = [];
  for (let rate = phase.startRate; rate <= phase.maxRate && rates.length < phase.maxSteps; rate += phase.stepRate) rates.push(rate);
  return rates;
}

/** Envelopes an open-loop phase makes due (the integral of its rate; every step of a find-max phase). */
export function plannedEnvelopes(phase: Phase): number | undefined {
  if (phase.kind === 'backlog') return undefined;
  if (phase.kind === 'find-max') return findMaxRates(phase).reduce((sum, rate) => sum + Math.ceil(rate * phase.stepS), 0);
  return Math.ceil(((phase.rate + phase.toRate) / 2) * phase.durationS);
}

const BOUND_METRICS: Readonly<Record<string, true>> = Object.fromEntries(
  ['ack', 'commit'].flatMap((kind) => ['p50', 'p90', 'p99', 'p999'].map((p) => [`${kind}_${p}`, true] as const)).concat([['refused_ratio', true]]),
);
const BOUND_UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/**
 * A step bound as a user writes it: `ack_p99<200ms`, `commit_p99<=1s`,
 * `refused_ratio<0.01` (`p99` alone is ack_p99, `p99.9` is p999). Upper
 * bounds only: a step is sustainable while every bound holds.
 */
export function parseStepBound(expression: string): StepBound {
  const match = /^\s*([a-z_0-9.]+)\s*(<=|<)\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s)?\s*$/.exec(expression);
  if (match === null) throw new BenchConfigError(`bound "${expression}" is not <metric><|<=<number>[unit], e.g. ack_p99<200ms or refused_ratio<0.01`);
  const [, written, op, number, unit] = match;
  let metric = written!.replace('p99.9', 'p999');
  if (/^p[0-9]+$/.test(metric)) metric = `ack_${metric}`;
  if (BOUND_METRICS[metric] === undefined)
    throw new BenchConfigError(`bound "${expression}": unknown metric "${written}" (known: ${Object.keys(BOUND_METRICS).join(', ')})`);
  const ratio = metric === 'refused_ratio';
  if (ratio && unit !== undefined) throw new BenchConfigError(`bound "${expression}": refused_ratio is a fraction, it takes no unit`);
  const value = Number(number) * (ratio ? 1 : BOUND_UNIT_MS[unit ?? 'ms']!);
  if (ratio && value > 1) throw new BenchConfigError(`bound "${expression}": refused_ratio is a fraction in 0..1`);
  return { expression: expression.trim(), metric, op: op as StepBound['op'], value };
}

export interface FindMaxSpec {
  readonly name: string;
  readonly startRate: number;
  readonly stepRate: number;
  readonly stepS: number;
  readonly maxRate?: number;
  readonly maxSteps?: number;
  readonly bounds: readonly string[];
}

export const FIND_MAX_STEPS_DEFAULT = 20;

/** A find-max phase from its parts (flags or a schedule file); errors name `path`'s fields. */
export function findMaxPhase(spec: FindMaxSpec, path = 'find_max'): FindMaxPhase {
  if (spec.bounds.length === 0)
    throw new BenchConfigError(`${path}.bounds needs at least one bound (e.g. ack_p99<200ms): without one every step is sustainable`);
  const bounds = spec.bounds.map((b, i) => {
    try {
      return parseStepBound(b);
    } catch (error) {
      throw new BenchConfigError(`${path}.bounds[${i}]: ${(error as Error).message}`);
    }
  });
  const maxSteps = spec.maxSteps ?? FIND_MAX_STEPS_DEFAULT;
  const maxRate = spec.maxRate ?? spec.startRate + spec.stepRate * (maxSteps - 1);
  if (maxRate < spec.startRate) throw fieldError(`${path}.max_rate`, `must be at least start_rate (${spec.startRate})`, maxRate);
  const phase: FindMaxPhase = {
    kind: 'find-max',
    name: spec.name,
    startRate: spec.startRate,
    stepRate: spec.stepRate,
    stepS: spec.stepS,
    maxRate,
    maxSteps,
    bounds,
    durationS: 0,
  };
  return { ...phase, durationS: findMaxRates(phase).length * spec.stepS };
}

type Json = unknown;

function fieldError(path: string, what: string, value: Json): BenchConfigError {
  return new BenchConfigError(`${path} ${what}, got ${JSON.stringify(value) ?? String(value)}`);
}

function num(obj: Record<string, Json>, key: string, path: string, min: number, max: number, required: boolean): number | undefined {
  const value = obj[key];
  if (value === undefined) {
    if (required) throw new BenchConfigError(`${path}.${key} is required`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw fieldError(`${path}.${key}`, `must be a number in ${min}..${max}`, value);
  }
  return value;
}

function only(obj: Record<string, Json>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new BenchConfigError(`${path}.${key} is not a known field (known: ${allowed.join(', ')})`);
  }
}

function record(value: Json, path: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fieldError(path, 'must be a mapping', value);
  return value as Record<string, Json>;
}

function parseFindMax(value: Json, path: string, name: string): FindMaxPhase {
  const obj = record(value, path);
  only(obj, path, ['start_rate', 'step_rate', 'step_s', 'max_rate', 'max_steps', 'bounds']);
  const startRate = num(obj, 'start_rate', path, 1, RATE_MAX, true)!;
  const stepRate = num(obj, 'step_rate', path, 1, RATE_MAX, true)!;
  const stepS = num(obj, 'step_s', path, 0.5, DURATION_MAX_S, true)!;
  const maxRate = num(obj, 'max_rate', path, 1, RATE_MAX, false);
  const maxSteps = num(obj, 'max_steps', path, 1, 1000, false);
  if (maxSteps !== undefined && !Number.isInteger(maxSteps)) throw fieldError(`${path}.max_steps`, 'must be an integer', maxSteps);
  const bounds = obj['bounds'];
  if (!Array.isArray(bounds) || bounds.length === 0)
    throw fieldError(`${path}.bounds`, 'must be a non-empty list such as ["ack_p99<200ms", "refused_ratio<0.01"]', bounds);
  bounds.forEach((b, i) => {
    if (typeof b !== 'string') throw fieldError(`${path}.bounds[${i}]`, 'must be a string such as "ack_p99<200ms"', b);
  });
  return findMaxPhase(
    { name, startRate, stepRate, stepS, bounds: bounds as string[], ...(maxRate !== undefined && { maxRate }), ...(maxSteps !== undefined && { maxSteps }) },
    path,
  );
}

function parsePhase(value: Json, index: number): Phase {
  const path = `phases[${index}]`;
  const obj = record(value, path);
  only(obj, path, ['name', 'duration_s', 'rate', 'to_rate', 'backlog', 'find_max']);
  const name = obj['name'] === undefined ? `round ${index + 1}` : obj['name'];
  if (typeof name !== 'string' || name.length === 0) throw fieldError(`${path}.name`, 'must be a non-empty string', name);
  if (obj['find_max'] !== undefined) {
    for (const key of ['duration_s', 'rate', 'to_rate', 'backlog']) {
      if (obj[key] !== undefined) throw new BenchConfigError(`${path}.${key} does not go with find_max (its steps say how long and how fast)`);
    }
    return parseFindMax(obj['find_max'], `${path}.find_max`, name);
  }
  const durationS = num(obj, 'duration_s', path, 0.1, DURATION_MAX_S, true)!;
  const rate = num(obj, 'rate', path, 1, RATE_MAX, false);
  const toRate = num(obj, 'to_rate', path, 1, RATE_MAX, false);
  const backlog = num(obj, 'backlog', path, 1, BACKLOG_MAX, false);
  if (backlog !== undefined) {
    if (rate !== undefined || toRate !== undefined)
      throw new BenchConfigError(`${path} has both backlog and rate: a phase is open loop (rate) or closed loop (backlog)`);
    if (!Number.isInteger(backlog)) throw fieldError(`${path}.backlog`, 'must be an integer', backlog);
    return { kind: 'backlog', name, durationS, backlog };
  }
  if (rate === undefined) throw new BenchConfigError(`${path} needs rate (open loop, tx/s), backlog (closed loop) or find_max (step the rate up)`);
  return { kind: 'rate', name, durationS, rate, toRate: toRate ?? rate };
}

function parseFault(value: Json, index: number, durationS: number): Fault {
  const path = `faults[${index}]`;
  const obj = record(value, path);
  only(obj, path, ['at_s', 'action', 'node', 'restart_at_s']);
  const atS = num(obj, 'at_s', path, 0, durationS, true)!;
  const action = obj['action'];
  if (action !== 'kill' && action !== 'stop' && action !== 'term') throw fieldError(`${path}.action`, 'must be one of kill, stop, term', action);
  const node = obj['node'] ?? 'leader';
  if (node !== 'leader' && !(typeof node === 'number' && Number.isInteger(node) && node >= 1)) {
    throw fieldError(`${path}.node`, 'must be "leader" or a node id (1, 2, ...)', node);
  }
  const restartAtS = num(obj, 'restart_at_s', path, 0, DURATION_MAX_S, false);
  if (restartAtS !== undefined && restartAtS <= atS) throw fieldError(`${path}.restart_at_s`, `must be after at_s (${atS})`, restartAtS);
  return { atS, action, node: node as Fault['node'], ...(restartAtS !== undefined && { restartAtS }) };
}

/** Validates a parsed schedule document ({ phases: [...], faults: [...] }). */
export function parseSchedule(doc: Json, source = 'schedule'): Schedule {
  try {
    const obj = record(doc, 'schedule');
    only(obj, 'schedule', ['phases', 'faults']);
    const phases = obj['phases'];
    if (!Array.isArray(phases) || phases.length === 0) throw fieldError('phases', 'must be a non-empty list', phases);
    const parsed = phases.map(parsePhase);
    const durationS = parsed.reduce((sum, p) => sum + p.durationS, 0);
    const faults = obj['faults'] ?? [];
    if (!Array.isArray(faults)) throw fieldError('faults', 'must be a list', faults);
    return { phases: parsed, faults: faults.map((f, i) => parseFault(f, i, durationS)) };
  } catch (error) {
    if (error instanceof BenchConfigError) throw new BenchConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

/** Reads a YAML or JSON schedule file (JSON is YAML). */
export function readScheduleFile(file: string): Schedule {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new BenchConfigError(`schedule file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let doc: Json;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new BenchConfigError(`schedule file ${file} is not YAML/JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseSchedule(doc, `schedule file ${file}`);
}
