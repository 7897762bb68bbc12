// What a benchmark run does over time: phases (rounds) of open-loop rate
// (fixed or a linear ramp) or closed-loop backlog, and faults injected into
// local nodes. Read from flags or from a YAML/JSON file; every bad field is a
// BenchConfigError naming its path ("phases[1].rate").

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

export type Phase = RatePhase | BacklogPhase;

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

/** Envelopes an open-loop phase makes due (the integral of its rate). */
export function plannedEnvelopes(phase: Phase): number | undefined {
  if (phase.kind !== 'rate') return undefined;
  return Math.ceil(((phase.rate + phase.toRate) / 2) * phase.durationS);
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

function parsePhase(value: Json, index: number): Phase {
  const path = `phases[${index}]`;
  const obj = record(value, path);
  only(obj, path, ['name', 'duration_s', 'rate', 'to_rate', 'backlog']);
  const name = obj['name'] === undefined ? `round ${index + 1}` : obj['name'];
  if (typeof name !== 'string' || name.length === 0) throw fieldError(`${path}.name`, 'must be a non-empty string', name);
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
  if (rate === undefined) throw new BenchConfigError(`${path} needs rate (open loop, tx/s) or backlog (closed loop)`);
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
