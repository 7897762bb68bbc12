// A run's end: what an open-loop phase still owes is sent late while the drain
// lasts, retried while no stream is up; once the driver is stopped it is
// dropped and no timer of the driver runs on.

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BroadcastLane } from '../../../src/client/bench/broadcastLane.js';
import { Driver } from '../../../src/client/bench/driver.js';
import type { EnvelopeSupply } from '../../../src/client/bench/envelopeSupply.js';
import { Recorder } from '../../../src/client/bench/recorder.js';

describe('the driver at the end of a run', () => {
  it('retries what is owed while no lane is up, and stops for good when stopped', async () => {
    const supply = { take: () => true } as unknown as EnvelopeSupply;
    const driver = new Driver(new Recorder(), supply, 16);
    let pumps = 0;
    const down = { up: false, pausedUntilMs: 0, flush: () => pumps++ } as unknown as BroadcastLane;
    driver.lanes.push(down);
    const now = performance.now();
    // A phase that began a second ago at 100 tx/s: its 100 envelopes are due, and no lane can take them.
    driver.setPhase({ kind: 'rate', name: 'steady', durationS: 1, rate: 100, toRate: 100 }, now - 1000);
    driver.setPhase(undefined, now);
    // The phase's end and the next turn pump once each; the retry timer pumps after them.
    for (let waited = 0; waited < 200 && pumps <= 2; waited++) await sleep(10);
    expect(pumps).toBeGreaterThan(2);
    driver.stop();
    const stoppedAt = pumps;
    await sleep(60);
    expect(pumps).toBe(stoppedAt);
    // Nothing owed and nothing outstanding: the drain is over.
    await driver.drained();
  });
});
