// Faults in a schedule, as a user writes them: `orderer bench` on the local
// cluster it starts, with the leader killed (-9) at t and restarted at t2.
// The report must show the fault (the node hit, the marker on the charts),
// when a new leader appeared, and the longest silences in acknowledgements
// and in delivered blocks — each consistent with the rest of the report
// (the per-second figures, the rounds, the nodes). No duration is asserted.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/client/index.js';
import { ordererArgv } from './ordererRuntime.js';

const KILL_AT_S = 3;
const RESTART_AT_S = 6;
const DURATION_S = 10;

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

describe('orderer bench with the leader killed and restarted in its schedule', () => {
  let dir: string;
  let out: string;
  let code: number | null;
  let stderr = '';
  let report: BenchReport;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-bench-faults-'));
    out = path.join(dir, 'report');
    const schedule = path.join(dir, 'schedule.yaml');
    fs.writeFileSync(
      schedule,
      `phases:\n  - { name: steady, duration_s: ${DURATION_S}, rate: 200 }\nfaults:\n  - { at_s: ${KILL_AT_S}, action: kill, node: leader, restart_at_s: ${RESTART_AT_S} }\n`,
    );
    code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ordererArgv(['bench', '--nodes', '3', '--schedule', schedule, '--batch-timeout-ms', '200', '--out', out]), {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as BenchReport;
  }, 180_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ran the fault on the leader and saw another node lead before the restart brought it back', () => {
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report.faults).toHaveLength(1);
    const f = report.faults[0]!;
    expect(f).toMatchObject({ action: 'kill', target: 'leader', error: null });
    expect([1, 2, 3]).toContain(f.nodeId);
    expect([1, 2, 3]).toContain(f.newLeader);
    expect(f.newLeader).not.toBe(f.nodeId);
    expect(f.atS).toBeGreaterThanOrEqual(KILL_AT_S);
    expect(f.restartedAtS!).toBeGreaterThanOrEqual(RESTART_AT_S);
    expect(f.newLeaderAfterMs!).toBeGreaterThanOrEqual(0);
    // The per-second leader column agrees: the killed node led before the kill, the new leader after it was seen.
    const leaderAt = (t: number) => report.seconds.find((s) => s.t >= t && s.nodes.some((n) => n.isLeader === true));
    expect(report.seconds.filter((s) => s.t <= f.atS).some((s) => s.nodes.find((n) => n.id === f.nodeId)?.isLeader === true)).toBe(true);
    const after = leaderAt(f.atS + f.newLeaderAfterMs! / 1000 + 1);
    expect(after?.nodes.some((n) => n.isLeader === true)).toBe(true);
  });

  it('names the longest silences around the fault, consistent with the per-second figures', () => {
    const f = report.faults[0]!;
    expect(f.ackGapMs).not.toBeNull();
    expect(f.commitGapMs).not.toBeNull();
    for (const [fromS, ms, field] of [
      [f.ackGapFromS!, f.ackGapMs!, 'acknowledged'],
      [f.commitGapFromS!, f.commitGapMs!, 'blocks'],
    ] as const) {
      // The silence overlaps the fault's window and lies within the run.
      expect(fromS + ms / 1000).toBeGreaterThanOrEqual(f.atS);
      expect(fromS).toBeLessThanOrEqual(report.elapsedS);
      // No one-second interval lying wholly inside the silence counted anything.
      for (const s of report.seconds) {
        if (s.t - s.intervalS >= fromS && s.t <= fromS + ms / 1000) expect(s[field], `second ending ${s.t}`).toBe(0);
      }
    }
    // And the run came back: acknowledgements and blocks after the silence.
    const end = (fromS: number, ms: number) => fromS + ms / 1000;
    expect(sum(report.seconds.filter((s) => s.t > end(f.ackGapFromS!, f.ackGapMs!)).map((s) => s.acknowledged))).toBeGreaterThan(0);
    expect(sum(report.seconds.filter((s) => s.t > end(f.commitGapFromS!, f.commitGapMs!)).map((s) => s.blocks))).toBeGreaterThan(0);
  });

  it('adds up: seconds to the summary, commits never more than acknowledgements', () => {
    const s = report.summary;
    expect(sum(report.seconds.map((x) => x.acknowledged))).toBe(s.acknowledged);
    expect(sum(report.seconds.map((x) => x.committedOwn))).toBe(s.committedOwn);
    // Envelopes due while no lane was up wait for one (their latency counting); the drain bounds how long answers are awaited.
    expect(s.sent).toBeGreaterThan(0);
    expect(s.sent).toBeLessThanOrEqual(200 * DURATION_S);
    expect(s.acknowledged + sum(Object.values(s.refused))).toBeLessThanOrEqual(s.sent);
    expect(s.acknowledged).toBeGreaterThan(0);
    expect(s.committedOwn).toBeLessThanOrEqual(s.acknowledged);
  });

  it('shows the fault, the new leader and the restart in report.md and on the time charts', () => {
    const f = report.faults[0]!;
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Faults');
    expect(md).toContain(
      `| kill leader | ${f.nodeId} | ${f.atS.toFixed(3)} | ${f.restartedAtS!.toFixed(3)} | ${f.newLeader} | ${f.newLeaderAfterMs} | ${f.ackGapMs} |`,
    );
    for (const chart of ['throughput.svg', 'latency.svg']) {
      const svg = fs.readFileSync(path.join(out, chart), 'utf8');
      expect(svg, chart).toContain(`kill node ${f.nodeId}`);
      expect(svg, chart).toContain(`node ${f.newLeader} leads`);
      expect(svg, chart).toContain(`restart node ${f.nodeId}`);
    }
  });
});
