// The simulator, end to end, must catch a real durability bug: an application
// that sends a Ready's messages before persisting it (acknowledging before its
// fsync) and crashes in between. Such a node forgets entries it acknowledged,
// so committed entries can vanish.

import { describe, expect, it } from 'vitest';
import { InvariantViolation } from './invariants.js';
import { SimulationFailure, defaultSettings, runSeed, type SeedOverrides } from './simulation.js';

const buggy: SeedOverrides = { cluster: { sendBeforePersist: true }, faults: { crashAfterPersistChance: 0.05 } };
const safetyInvariants = ['election-safety', 'log-matching', 'leader-completeness', 'state-machine-safety', 'committed-agreement', 'snapshot-consistency'];

function failureOf(seed: number, overrides: SeedOverrides): SimulationFailure | undefined {
  try {
    runSeed(seed, defaultSettings, overrides);
    return undefined;
  } catch (err) {
    if (err instanceof SimulationFailure) return err;
    throw err;
  }
}

describe('bug detection', () => {
  it('catches send-before-persist as a broken safety invariant within 120 seeds', () => {
    const violations: string[] = [];
    let failures = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const failure = failureOf(seed, buggy);
      if (failure === undefined) continue;
      failures++;
      expect(failure.message).toContain(`RAFT_SEED=${seed} npm run test:sim`);
      // The core's own assertions ("tocommit out of range... log lost?") often fire first.
      if (failure.cause instanceof InvariantViolation) violations.push(failure.cause.invariant);
    }
    expect(failures).toBeGreaterThan(0);
    expect(violations.some((v) => safetyInvariants.includes(v))).toBe(true);
  });

  it('passes the same seeds and crash rate when the Ready is persisted before sending', () => {
    const correct: SeedOverrides = { faults: { crashAfterPersistChance: 0.05 } };
    for (let seed = 1; seed <= 30; seed++) expect(failureOf(seed, correct)?.message).toBeUndefined();
  });
});
