// "Find the maximum": bounds parse as a user writes them, each step is judged
// on its own figures, and a search against a stub orderer that answers at
// most a fixed number of envelopes per second stops at a step it cannot
// sustain and names the last one it could.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BenchConfigError,
  buildReport,
  describeMachine,
  judgeStep,
  KEEP_UP,
  parseSchedule,
  parseStepBound,
  runBench,
  writeReport,
  type FindMaxPhase,
  type RunResult,
} from '../../../src/client/index.js';
import { stubReportConfig } from './stubReportConfig.js';
import { withStubTarget } from './withStubTarget.js';

const latency = (p50: number | null, p99: number | null) => ({ count: p50 === null ? 0 : 1, p50, p90: p99, p99, p999: p99, max: p99, mean: p50 });

function stepFigures(acknowledged: number, refused: number, ackP99: number | null, commitP99: number | null) {
  return {
    sent: acknowledged + refused,
    acknowledged,
    refused: (refused === 0 ? {} : { SERVICE_UNAVAILABLE: refused }) as Record<string, number>,
    committedTx: acknowledged,
    committedOwn: acknowledged,
    blocks: 1,
    ack: latency(ackP99 === null ? null : ackP99 / 2, ackP99),
    ackService: latency(1, 1),
    commit: latency(commitP99 === null ? null : commitP99 / 2, commitP99),
  };
}

describe('find-max bounds and steps', () => {
  it('parses bounds into ms or a fraction, p99 alone meaning ack', () => {
    expect(parseStepBound('p99<200ms')).toMatchObject({ metric: 'ack_p99', op: '<', value: 200 });
    expect(parseStepBound('commit_p99.9 <= 2s')).toMatchObject({ metric: 'commit_p999', op: '<=', value: 2000 });
    expect(parseStepBound('refused_ratio<0.01')).toMatchObject({ metric: 'refused_ratio', value: 0.01 });
    expect(() => parseStepBound('tps>100')).toThrow('is not <metric><|<=<number>');
    expect(() => parseStepBound('ack_p98<1ms')).toThrow('unknown metric "ack_p98"');
    expect(() => parseStepBound('refused_ratio<1ms')).toThrow('takes no unit');
    expect(() => parseStepBound('refused_ratio<2')).toThrow('a fraction in 0..1');
  });

  it('judges a step on each bound and on keeping up', () => {
    const bounds = [parseStepBound('ack_p99<100ms'), parseStepBound('refused_ratio<0.05')];
    expect(judgeStep(100, 2, stepFigures(200, 0, 50, 80), bounds)).toMatchObject({ pass: true, reasons: [], figures: [50, 0] });
    const slow = judgeStep(100, 2, stepFigures(200, 0, 150, 80), bounds);
    expect(slow.pass).toBe(false);
    expect(slow.reasons).toEqual(['ack_p99<100ms broken (150)']);
    const refusing = judgeStep(100, 2, stepFigures(190, 10, 50, 80), bounds);
    expect(refusing.reasons).toEqual(['refused_ratio<0.05 broken (0.05)']);
    // A stalled orderer: the few answers were fast, but most of what was due never came back.
    const stalled = judgeStep(100, 2, stepFigures(Math.floor(200 * KEEP_UP) - 1, 0, 10, 10), bounds);
    expect(stalled.pass).toBe(false);
    expect(stalled.reasons[0]).toContain('did not keep up');
    // Nothing acknowledged at all breaks a latency bound (nothing came back in time).
    expect(judgeStep(100, 2, stepFigures(0, 0, null, null), [parseStepBound('commit_p99<1s')]).reasons[0]).toBe('commit_p99<1s broken (nothing measured)');
  });

  it('reads a find_max phase from a schedule, and names its bad fields', () => {
    const schedule = parseSchedule({
      phases: [{ name: 'search', find_max: { start_rate: 100, step_rate: 50, step_s: 2, max_rate: 300, bounds: ['p99<200ms'] } }],
    });
    const phase = schedule.phases[0] as FindMaxPhase;
    expect(phase).toMatchObject({ kind: 'find-max', name: 'search', startRate: 100, stepRate: 50, stepS: 2, maxRate: 300, durationS: 10 });
    const bad: [unknown, string][] = [
      [{ phases: [{ find_max: { step_rate: 5, step_s: 1, bounds: ['p99<1s'] } }] }, 'phases[0].find_max.start_rate is required'],
      [{ phases: [{ find_max: { start_rate: 5, step_rate: 5, step_s: 1 } }] }, 'phases[0].find_max.bounds must be a non-empty list'],
      [
        { phases: [{ find_max: { start_rate: 5, step_rate: 5, step_s: 1, bounds: ['p98<1s'] } }] },
        'phases[0].find_max.bounds[0]: bound "p98<1s": unknown metric',
      ],
      [{ phases: [{ find_max: { start_rate: 5, step_rate: 5, step_s: 1, bounds: [7] } }] }, 'phases[0].find_max.bounds[0] must be a string'],
      [
        { phases: [{ find_max: { start_rate: 50, step_rate: 5, step_s: 1, max_rate: 10, bounds: ['p99<1s'] } }] },
        'phases[0].find_max.max_rate must be at least start_rate',
      ],
      [{ phases: [{ find_max: { start_rate: 5, step_rate: 5, step_s: 1, bounds: ['p99<1s'], burst: 1 } }] }, 'phases[0].find_max.burst is not a known field'],
      [
        { phases: [{ duration_s: 5, find_max: { start_rate: 5, step_rate: 5, step_s: 1, bounds: ['p99<1s'] } }] },
        'phases[0].duration_s does not go with find_max',
      ],
    ];
    for (const [doc, message] of bad) {
      expect(() => parseSchedule(doc, 'schedule.yaml')).toThrow(BenchConfigError);
      expect(() => parseSchedule(doc, 'schedule.yaml')).toThrow(message);
    }
  });
});

const CAPACITY = 500;

describe('find the maximum against an orderer at its capacity', () => {
  let dir: string;
  let run: RunResult;
  let schedule: ReturnType<typeof parseSchedule>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-findmax-'));
    schedule = parseSchedule({
      phases: [{ name: 'search', find_max: { start_rate: 200, step_rate: 200, step_s: 2, max_rate: 1400, bounds: ['ack_p99<150ms'] } }],
    });
    const rig = { stub: { ackPerS: CAPACITY, blockIntervalMs: 50 }, channelId: 'stub', envelopeBytes: 512, prepare: 8000 };
    run = await withStubTarget(dir, rig, ({ target, supply }) =>
      runBench({ target, schedule, role: 'all', streamsPerNode: 1, maxOutstanding: 20_000, supply }),
    );
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops at the first step over its bound and names the last one within it', () => {
    const [search] = run.findMax;
    expect(search!.ended).toBe('step failed');
    const failed = search!.steps.findIndex((s) => !s.pass);
    expect(failed).toBe(search!.steps.length - 1);
    expect(search!.maxSustainableRate).toBe(failed === 0 ? null : search!.steps[failed - 1]!.rate);
    // Above the stub's capacity answers queue up and fewer come back than the step offered: no such step can pass.
    expect(search!.maxSustainableRate ?? 0).toBeLessThan(CAPACITY);
    expect(search!.steps.map((s) => s.rate)).toEqual([200, 400, 600, 800, 1000, 1200, 1400].slice(0, search!.steps.length));
  });

  it("judges each step on that step's own figures, one round per step", () => {
    const [search] = run.findMax;
    expect(run.rounds.map((r) => r.name)).toEqual(search!.steps.map((s) => `search ${s.rate} tx/s`));
    for (const [i, step] of search!.steps.entries()) {
      expect(step.pass).toBe(step.ackP99 !== null && step.ackP99 < 150 && step.acknowledged >= step.rate * step.durationS * KEEP_UP);
      // The last round goes on through the drain after the search stopped: it counts what came back after the verdict too.
      if (i < search!.steps.length - 1) {
        expect(step.acknowledged).toBe(run.rounds[i]!.acknowledged);
        expect(step.ackP99).toBe(run.rounds[i]!.ack.p99);
      } else expect(step.acknowledged).toBeLessThanOrEqual(run.rounds[i]!.acknowledged);
    }
    expect(run.total.acknowledged).toBe(run.total.sent);
  });

  it('prints the steps and the maximum in report.md and draws them in find-max.svg', async () => {
    const report = buildReport(run, stubReportConfig({ maxOutstanding: 20_000, schedule, channelId: 'stub' }), describeMachine());
    const out = path.join(dir, 'report');
    await writeReport(out, report);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const [search] = report.findMax;
    const max = search!.maxSustainableRate;
    expect(md).toContain(`**Maximum sustainable rate: ${max === null ? 'none' : `${max.toLocaleString('en-US')} tx/s offered`}`);
    for (const step of search!.steps)
      expect(md).toMatch(new RegExp(`^\\| ${step.rate.toLocaleString('en-US')} \\| .*\\| ${step.pass ? 'within bounds' : '\\*\\*over\\*\\*'}`, 'm'));
    expect(md).toContain('](find-max.svg)');
    const svg = fs.readFileSync(path.join(out, 'find-max.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('offered rate (tx/s)');
    // The bound find-max stepped against, drawn where the latencies are, and the keep-up share on the throughput panel.
    expect(search!.limits).toEqual([{ expression: 'ack_p99<150ms', metric: 'ack_p99', op: '<', value: 150 }]);
    expect(svg).toContain('bound ack p99 &lt; 150 ms');
    expect(svg).toContain('keep-up bound (90% of offered)');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(json.findMax[0].maxSustainableRate).toBe(max);
  });

  it('writes report.html as one self-contained file: the report with every chart inline', async () => {
    const out = path.join(dir, 'html');
    const report = buildReport(
      run,
      stubReportConfig({ target: 'stub <b>orderer</b>', maxOutstanding: 20_000, schedule, channelId: 'stub' }),
      describeMachine(),
    );
    const files = await writeReport(out, report, { html: true });
    expect(files).toContain(path.join(out, 'report.html'));
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    const charts = files.filter((f) => f.endsWith('.svg'));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(charts.length);
    for (const chart of charts) expect(html).toContain(fs.readFileSync(chart, 'utf8'));
    // Nothing to fetch: no image, script or stylesheet link, no URL but SVG's namespaces.
    expect(html).not.toMatch(/<img|<script|<link|src=/);
    expect([...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]).filter((u) => !u.startsWith('http://www.w3.org/'))).toEqual([]);
    // report.md's content: the headline, the find-max table, raw HTML from a name shown as text.
    expect(html).toContain('Maximum sustainable rate');
    expect(html).toContain('<table>');
    expect(html).toContain('stub &lt;b&gt;orderer&lt;/b&gt;');
  });
});
