// Writes a run's report directory: report.json, report.md and the SVG charts.

import fs from 'node:fs';
import path from 'node:path';
import { renderCharts } from './charts.js';
import { renderMarkdown } from './markdown.js';
import type { BenchReport } from './report.js';

export async function writeReport(dir: string, report: BenchReport): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const charts = await renderCharts(report);
  const files = ['report.json', 'report.md', ...charts.map((c) => c.file)];
  fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  fs.writeFileSync(path.join(dir, 'report.md'), renderMarkdown(report, charts));
  for (const chart of charts) fs.writeFileSync(path.join(dir, chart.file), chart.svg);
  return files.map((f) => path.join(dir, f));
}
