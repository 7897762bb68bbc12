// A short seeded nemesis run against real orderer processes (the long one is
// `npm run nemesis -- --duration-s 600`): three faults — kill -9 of a
// channel's leader, a partition at the cluster proxies, SIGSTOP of a
// follower — under load in both acknowledgement modes, on two channels,
// with native and native-free nodes side by side. At the end every node holds the same valid
// chains, no tx id twice, every committed-mode acknowledgement present, and
// every lost accepted-mode one explained by a leader crash.

import { describe, expect, it } from 'vitest';
import { NEMESIS_DEFAULTS } from '../../scripts/nemesis/options.js';
import { formatReport } from '../../scripts/nemesis/report.js';
import { runNemesis } from '../../scripts/nemesis/run.js';

describe('nemesis, short schedule', () => {
  it('survives kill -9 of a leader, a partition and SIGSTOP with nothing acknowledged lost or ordered twice', async () => {
    const report = await runNemesis(
      { ...NEMESIS_DEFAULTS, seed: 72, durationS: 600, faultsMax: 3, faults: ['kill9', 'stop', 'partition', 'slow'], ratePerSec: 40 },
      () => undefined,
    );
    const text = formatReport(report);
    expect([...report.failures, ...report.verdict.failures], text).toEqual([]);
    expect(
      report.faults.map((f) => f.plan.kind),
      text,
    ).toEqual(['kill9', 'partition', 'stop']);
    expect(
      report.faults.every((f) => f.backToHealthyMs !== undefined),
      text,
    ).toBe(true);
    // Each recovery says when each health condition first held, in order.
    for (const f of report.faults) {
      const at = f.health?.firstMs;
      expect(at?.leader, text).toBeLessThanOrEqual(at!.heights!);
      expect(at?.heights, text).toBeLessThanOrEqual(at!.broadcast!);
    }
    expect(report.verdict.channels).toHaveLength(2);
    for (const c of report.verdict.channels) {
      expect(c.duplicates, text).toBe(0);
      expect(c.committedLost, text).toBe(0);
      expect(c.committedAcks, text).toBeGreaterThan(0);
      expect(c.acceptedLostUnexplained, text).toBe(0);
    }
  }, 600_000);
});
