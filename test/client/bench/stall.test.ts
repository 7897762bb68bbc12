// Open-loop latency counts from the intended send time (wrk2's correction
// for coordinated omission): against a stub orderer that holds its answers
// for a known time while the harness may keep only a few envelopes
// outstanding, the stall shows in the percentiles — though measured from the
// actual send, almost every envelope would look fast.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench, type RunResult } from '../../../src/client/index.js';
import { withStubTarget } from './withStubTarget.js';

const STALL_MS = 1500;
const RATE = 200;

/** Runs RATE tx/s for 4 s, at most 4 outstanding, against a stub that holds its answers for STALL_MS after `stallAfter` envelopes. */
function runThroughStall(dir: string, stallAfter: number): Promise<{ run: RunResult; received: number }> {
  const stalling = { stallAfterEnvelopes: stallAfter, stallMs: STALL_MS, blockIntervalMs: 50 };
  return withStubTarget(dir, { stub: stalling, channelId: 'stub', envelopeBytes: 512, prepare: RATE * 4 + 50 }, async ({ stub, target, supply }) => {
    const run = await runBench({
      target,
      schedule: { phases: [{ kind: 'rate', name: 'steady', durationS: 4, rate: RATE, toRate: RATE }], faults: [] },
      role: 'all',
      streamsPerNode: 1,
      maxOutstanding: 4,
      supply,
    });
    return { run, received: stub.received() };
  });
}

describe('open-loop latency from the intended send time', () => {
  let dir: string;
  let run: RunResult;
  let received: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stall-'));
    // The stall starts once the first second's envelopes went through.
    ({ run, received } = await runThroughStall(dir, RATE));
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('acknowledges and commits every envelope it sent, each once', () => {
    expect(run.total.sent).toBe(RATE * 4);
    expect(received).toBe(run.total.sent);
    expect(run.total.acknowledged).toBe(run.total.sent);
    expect(run.total.committedOwn).toBe(run.total.sent);
  });

  it('shows the stall in the percentiles measured from the intended send time', () => {
    // About STALL_MS x RATE envelopes fell due during the stall: ~1/3 of the run, their latencies spread up to STALL_MS.
    expect(run.total.ack.max!).toBeGreaterThanOrEqual(STALL_MS * 0.9);
    expect(run.total.ack.p90!).toBeGreaterThanOrEqual(STALL_MS * 0.4);
    expect(run.total.commit.p90!).toBeGreaterThanOrEqual(STALL_MS * 0.4);
  });

  it('would hide it if measured from the actual send: only the few envelopes outstanding during the stall saw it', () => {
    // 4 outstanding of 800 sent: p90 measured from the send is the stub's ordinary answer time.
    expect(run.total.ackService.max!).toBeGreaterThanOrEqual(STALL_MS * 0.9);
    expect(run.total.ackService.p90!).toBeLessThan(run.total.ack.p90! / 4);
  });
});

describe('a stall across the end of the schedule', () => {
  let dir: string;
  let run: RunResult;
  let received: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stall-end-'));
    // The stall starts at ~3 s and outlasts the 4 s phase: when sending stops, most of the last second is still unsent.
    ({ run, received } = await runThroughStall(dir, RATE * 3));
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('still sends what fell due before the end, late, with its lateness in the latency', () => {
    expect(run.total.sent).toBe(RATE * 4);
    expect(received).toBe(RATE * 4);
    expect(run.total.acknowledged).toBe(RATE * 4);
    expect(run.total.ack.max!).toBeGreaterThanOrEqual(STALL_MS * 0.9);
  });
});
