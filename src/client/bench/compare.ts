// `orderer bench compare old.json new.json`: the headline figures of two
// reports side by side with the change in percent.

import fs from 'node:fs';
import { BenchConfigError } from './errors.js';
import { REPORT_VERSION, type BenchReport } from './report.js';

export function readReport(file: string): BenchReport {
  let report: BenchReport;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
  } catch (error) {
    throw new BenchConfigError(`report ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (report?.tool !== 'orderer bench' || report.version !== REPORT_VERSION) {
    throw new BenchConfigError(`report ${file} is not an orderer bench report.json (version ${REPORT_VERSION})`);
  }
  return report;
}

export interface ComparedFigure {
  readonly figure: string;
  readonly old: number | null;
  readonly new: number | null;
  /** (new - old) / old in percent; null when either is missing or old is 0. */
  readonly changePct: number | null;
  /** Whether a larger value is better (throughput) or worse (latency, cost). */
  readonly higherIsBetter: boolean;
}

export function compareReports(a: BenchReport, b: BenchReport): ComparedFigure[] {
  const rows: [string, (r: BenchReport) => number | null, boolean][] = [
    ['committed tx/s', (r) => r.summary.committedTxPerS, true],
    ['acknowledged tx/s', (r) => r.summary.acknowledgedTxPerS, true],
    ['blocks/s', (r) => r.summary.blocksPerS, true],
    ['ack p50 ms', (r) => r.summary.ack.p50, false],
    ['ack p99 ms', (r) => r.summary.ack.p99, false],
    ['ack p99.9 ms', (r) => r.summary.ack.p999, false],
    ['ack max ms', (r) => r.summary.ack.max, false],
    ['commit p50 ms', (r) => r.summary.commit.p50, false],
    ['commit p99 ms', (r) => r.summary.commit.p99, false],
    ['commit p99.9 ms', (r) => r.summary.commit.p999, false],
    ['refused', (r) => Object.values(r.summary.refused).reduce((x, y) => x + y, 0), false],
    ['harness µs/envelope', (r) => r.harness.harnessUsPerEnvelope ?? null, false],
  ];
  return rows.map(([figure, get, higherIsBetter]) => {
    const old = get(a);
    const now = get(b);
    const changePct = old === null || now === null || old === 0 ? null : Math.round(((now - old) / old) * 1000) / 10;
    return { figure, old, new: now, changePct, higherIsBetter };
  });
}

export function formatComparison(rows: readonly ComparedFigure[], oldName: string, newName: string): string {
  const fmt = (v: number | null): string => (v === null ? '—' : String(Math.round(v * 100) / 100));
  const lines = [`| figure | ${oldName} | ${newName} | change |`, '|---|---:|---:|---:|'];
  for (const r of rows) {
    const change =
      r.changePct === null
        ? '—'
        : `${r.changePct > 0 ? '+' : ''}${r.changePct}%${r.changePct === 0 ? '' : r.changePct > 0 === r.higherIsBetter ? ' (better)' : ' (worse)'}`;
    lines.push(`| ${r.figure} | ${fmt(r.old)} | ${fmt(r.new)} | ${change} |`);
  }
  return `${lines.join('\n')}\n`;
}
