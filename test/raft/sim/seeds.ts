// Which seeds a test run covers, from the environment:
//   RAFT_SEED=S       replay exactly seed S
//   RAFT_SEEDS=N      run N seeds (default: `defaultCount`)
//   RAFT_SEED_FIRST=F first seed of the range (default 1), to split big runs
//   RAFT_SIM_EVENTS=E events printed with a failure (default 30)

import { OrdererError } from '../../../src/errors.js';

export interface SeedPlan {
  /** The seeds, in order. */
  readonly seeds: readonly number[];
  /** True when one seed is being replayed. */
  readonly replay: boolean;
  /** Events printed with a failure; >= 1. */
  readonly eventsShown: number;
}

const defaultEventsShown = 30;

export class SeedPlanError extends OrdererError {
  constructor(message: string) {
    super('sim-seed-plan', message);
  }
}

function nonNegativeInteger(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new SeedPlanError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function seedPlan(env: Readonly<Record<string, string | undefined>>, defaultCount: number): SeedPlan {
  const eventsShown = env.RAFT_SIM_EVENTS === undefined ? defaultEventsShown : nonNegativeInteger('RAFT_SIM_EVENTS', env.RAFT_SIM_EVENTS);
  if (eventsShown < 1) throw new SeedPlanError(`RAFT_SIM_EVENTS must be at least 1, got ${eventsShown}`);
  if (env.RAFT_SEED !== undefined) return { seeds: [nonNegativeInteger('RAFT_SEED', env.RAFT_SEED)], replay: true, eventsShown };
  const count = env.RAFT_SEEDS === undefined ? defaultCount : nonNegativeInteger('RAFT_SEEDS', env.RAFT_SEEDS);
  const first = env.RAFT_SEED_FIRST === undefined ? 1 : nonNegativeInteger('RAFT_SEED_FIRST', env.RAFT_SEED_FIRST);
  return { seeds: Array.from({ length: count }, (_, i) => first + i), replay: false, eventsShown };
}

/** Splits `seeds` into consecutive chunks of at most `size`. */
export function chunks(seeds: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < seeds.length; i += size) out.push(seeds.slice(i, i + size));
  return out;
}
