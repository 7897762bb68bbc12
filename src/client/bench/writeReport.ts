// Writes a run's report directory: report.json, report.md and the SVG charts;
// with `html`, also report.html (one self-contained file, charts inline).

import fs from 'node:fs';
import path from 'node:path';
import { renderCharts } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { BenchReport } from './report.js';

export async function writeReport(dir: string, report: BenchReport, options: { html?: boolean } = {}): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const charts = await renderCharts(report);
  const files = ['report.json', 'report.md', ...(options.html ? ['report.html'] : []), ...charts.map((c) => c.file)];
  const markdown = renderMarkdown(report, charts);
  fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  fs.writeFileSync(path.join(dir, 'report.md'), markdown);
  if (options.html) fs.writeFileSync(path.join(dir, 'report.html'), renderHtml(markdown, charts));
  for (const chart of charts) fs.writeFileSync(path.join(dir, chart.file), chart.svg);
  return files.map((f) => path.join(dir, f));
}
