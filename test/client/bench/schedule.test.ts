// Schedules, thresholds and comparisons as a user writes them: every bad
// field is an error naming its path; thresholds parse units and gate.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BenchConfigError,
  compareReports,
  evaluateThresholds,
  parseSchedule,
  parseThreshold,
  readScheduleFile,
  type BenchReport,
} from '../../../src/client/index.js';

describe('bench schedule', () => {
  it('reads open-loop, ramp and closed-loop phases and faults from YAML', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-schedule-'));
    const file = path.join(dir, 'schedule.yaml');
    fs.writeFileSync(
      file,
      'phases:\n  - { name: warm, duration_s: 5, rate: 100 }\n  - { duration_s: 10, rate: 100, to_rate: 1000 }\n  - { duration_s: 5, backlog: 256 }\nfaults:\n  - { at_s: 8, action: kill, node: leader, restart_at_s: 12 }\n',
    );
    const schedule = readScheduleFile(file);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(schedule.phases).toEqual([
      { kind: 'rate', name: 'warm', durationS: 5, rate: 100, toRate: 100 },
      { kind: 'rate', name: 'round 2', durationS: 10, rate: 100, toRate: 1000 },
      { kind: 'backlog', name: 'round 3', durationS: 5, backlog: 256 },
    ]);
    expect(schedule.faults).toEqual([{ atS: 8, action: 'kill', node: 'leader', restartAtS: 12 }]);
  });

  it.each([
    [{ phases: [{ duration_s: 5, rate: 'fast' }] }, 'phases[0].rate must be a number'],
    [{ phases: [{ duration_s: 5 }] }, 'phases[0] needs rate'],
    [{ phases: [{ rate: 5 }] }, 'phases[0].duration_s is required'],
    [{ phases: [{ duration_s: 5, rate: 5, backlog: 3 }] }, 'phases[0] has both backlog and rate'],
    [{ phases: [{ duration_s: 5, rate: 5, burst: 3 }] }, 'phases[0].burst is not a known field'],
    [{ phases: [] }, 'phases must be a non-empty list'],
    [{ phases: [{ duration_s: 5, rate: 5 }], faults: [{ at_s: 1, action: 'explode' }] }, 'faults[0].action must be one of kill, stop, term'],
    [{ phases: [{ duration_s: 5, rate: 5 }], faults: [{ at_s: 2, action: 'kill', restart_at_s: 1 }] }, 'faults[0].restart_at_s must be after at_s'],
    [{ phases: [{ duration_s: 5, rate: 5 }], faults: [{ at_s: 9, action: 'kill' }] }, 'faults[0].at_s must be a number in 0..5'],
  ])('refuses %j naming the field', (doc, message) => {
    expect(() => parseSchedule(doc, 'schedule.yaml')).toThrow(BenchConfigError);
    expect(() => parseSchedule(doc, 'schedule.yaml')).toThrow(message);
  });

  it('names a schedule file that is not YAML', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-schedule-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'phases: [ {');
    expect(() => readScheduleFile(file)).toThrow(`schedule file ${file} is not YAML/JSON`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

function reportWith(p99: number, tps: number): BenchReport {
  const latency = { count: 10, p50: 1, p90: 2, p99, p999: p99, max: p99, mean: 1 };
  return {
    tool: 'orderer bench',
    version: 1,
    summary: { committedTxPerS: tps, acknowledgedTxPerS: tps, blocksPerS: 1, ack: latency, ackService: latency, commit: latency, refused: {} },
    harness: { harnessUsPerEnvelope: 10 },
  } as unknown as BenchReport;
}

describe('bench thresholds and compare', () => {
  it('parses units into ms and gates a report', () => {
    expect(parseThreshold('p99<200ms').value).toBe(200);
    expect(parseThreshold('commit_p99<=2s').value).toBe(2000);
    expect(parseThreshold('p50 < 500us').value).toBe(0.5);
    const outcomes = evaluateThresholds(reportWith(150, 9000), [parseThreshold('p99<200ms'), parseThreshold('tps>10000')]);
    expect(outcomes.map((o) => o.pass)).toEqual([true, false]);
  });

  it('refuses an unknown metric, a unit on a rate, and garbage', () => {
    expect(() => parseThreshold('p98<2ms')).toThrow('unknown metric "p98"');
    expect(() => parseThreshold('tps>5ms')).toThrow('tps is not a latency');
    expect(() => parseThreshold('fast please')).toThrow('is not <metric><op><number>');
  });

  it('compares two reports in percent', () => {
    const rows = compareReports(reportWith(200, 1000), reportWith(100, 1500));
    expect(rows.find((r) => r.figure === 'committed tx/s')!.changePct).toBe(50);
    expect(rows.find((r) => r.figure === 'ack p99 ms')!.changePct).toBe(-50);
  });
});
