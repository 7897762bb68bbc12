// The report's charts as SVG, drawn by vega-lite + vega in Node (headless,
// no browser, no canvas): throughput and latency percentiles over time with
// fault markers, the latency distribution, CPU and RSS per node.

import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchReport } from './report.js';

export interface Chart {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

const WIDTH = 640;
const HEIGHT = 220;

type Row = Record<string, string | number | null>;

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Markers: each fault, when a new leader was first seen after it, and the restart. */
function faultRules(report: BenchReport): Row[] {
  return report.faults.flatMap((f) => {
    const node = f.nodeId === null ? f.target : `node ${f.nodeId}`;
    // Labels one under the other (pixels from the top): a new leader is often seen ms after the fault.
    const rows: Row[] = [{ t: f.atS, label: `${f.action} ${node}`, ypx: 0 }];
    if (f.newLeader !== null && f.newLeaderAfterMs !== null) rows.push({ t: f.atS + f.newLeaderAfterMs / 1000, label: `node ${f.newLeader} leads`, ypx: 12 });
    if (f.restartedAtS !== null) rows.push({ t: f.restartedAtS, label: `restart ${node}`, ypx: 24 });
    return rows;
  });
}

/** A time-series chart: one line per series, fault markers as vertical rules. */
function timeSeries(title: string, yTitle: string, rows: Row[], faults: Row[], logY = false): TopLevelSpec {
  const layers: object[] = [
    {
      mark: { type: 'line', point: rows.length < 40 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time (s)' },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: logY ? { type: 'log' } : { zero: true } },
        color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
      },
    },
  ];
  if (faults.length > 0) {
    layers.push({
      data: { values: faults },
      mark: { type: 'rule', color: 'firebrick', strokeDash: [4, 3] },
      encoding: { x: { field: 't', type: 'quantitative' } },
    });
    layers.push({
      data: { values: faults },
      mark: { type: 'text', color: 'firebrick', align: 'left', dx: 3, baseline: 'top' },
      encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'ypx', type: 'quantitative', scale: null }, text: { field: 'label' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: layers,
  } as TopLevelSpec;
}

function throughputRows(report: BenchReport): Row[] {
  return report.seconds.flatMap((s) => [
    { t: s.t, series: 'committed tx/s', value: s.committedOwn / s.intervalS },
    { t: s.t, series: 'acknowledged tx/s', value: s.acknowledged / s.intervalS },
    { t: s.t, series: 'refused/s', value: Object.values(s.refused).reduce((a, b) => a + b, 0) / s.intervalS },
  ]);
}

function latencyRows(report: BenchReport): Row[] {
  const rows: Row[] = [];
  for (const s of report.seconds) {
    for (const [kind, p] of [
      ['ack', s.ack],
      ['commit', s.commit],
    ] as const) {
      for (const [name, value] of [
        ['p50', p.p50],
        ['p99', p.p99],
        ['p99.9', p.p999],
      ] as const) {
        if (value !== null) rows.push({ t: s.t, series: `${kind} ${name}`, value: Math.max(value, 0.001) });
      }
    }
  }
  return rows;
}

function resourceRows(report: BenchReport, field: 'cpuPct' | 'rssMb' | 'anonMb'): Row[] {
  const rows: Row[] = [];
  for (const s of report.seconds) {
    for (const n of s.nodes) {
      const value = n[field];
      if (value !== undefined && value !== null) rows.push({ t: s.t, series: `node ${n.id}`, value });
    }
    if (field === 'cpuPct' && s.harnessCpuPct !== undefined && s.harnessCpuPct !== null)
      rows.push({ t: s.t, series: 'harness (main thread)', value: s.harnessCpuPct });
  }
  return rows;
}

function distributionSpec(report: BenchReport): TopLevelSpec {
  const distributions = [
    { kind: 'ack (from intended send)', points: report.distribution.ack },
    { kind: 'ack (from actual send)', points: report.distribution.ackService },
    { kind: 'commit (from intended send)', points: report.distribution.commit },
  ];
  const rows = distributions.flatMap(({ kind, points }) =>
    points
      .filter((p) => p.percentile < 100)
      .map((p) => ({ series: kind, percentile: p.percentile, x: 1 / (1 - p.percentile / 100), ms: Math.max(p.ms, 0.001) })),
  );
  const ticks = [0, 50, 90, 99, 99.9, 99.99].map((p) => 1 / (1 - p / 100));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `latency distribution (${report.summary.acknowledged} acknowledged, ${report.summary.commit.count} commits timed)`,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: 'percentile',
        scale: { type: 'log' },
        axis: { values: ticks, labelExpr: "format(100 - 100 / datum.value, '.4~f') + '%'" },
      },
      y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
    },
  } as TopLevelSpec;
}

/** A find-max phase: achieved throughput and latency percentiles against the offered rate of each step. */
function findMaxSpec(f: BenchReport['findMax'][number]): TopLevelSpec {
  const throughput = f.steps.flatMap((st) => [
    { offered: st.rate, series: 'offered tx/s', value: st.rate, pass: st.pass ? 'within bounds' : 'over' },
    { offered: st.rate, series: 'acknowledged tx/s', value: st.acknowledgedTxPerS, pass: st.pass ? 'within bounds' : 'over' },
    { offered: st.rate, series: 'committed tx/s', value: st.committedTxPerS, pass: st.pass ? 'within bounds' : 'over' },
  ]);
  const latency = f.steps.flatMap((st) =>
    (
      [
        ['ack p50', st.ackP50],
        ['ack p99', st.ackP99],
        ['commit p50', st.commitP50],
        ['commit p99', st.commitP99],
      ] as const
    ).flatMap(([series, value]) => (value === null ? [] : [{ offered: st.rate, series, value: Math.max(value, 0.001) }])),
  );
  // The keep-up bound: a step passes only if it acknowledged this share of what it offered.
  for (const st of f.steps)
    throughput.push({ offered: st.rate, series: `keep-up bound (${Math.round(f.keepUp * 100)}% of offered)`, value: st.rate * f.keepUp, pass: '' });
  const x = { field: 'offered', type: 'quantitative', title: 'offered rate (tx/s)' };
  const color = { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } };
  const maxRule =
    f.maxSustainableRate === null
      ? []
      : [
          {
            data: { values: [{ offered: f.maxSustainableRate, label: `max sustainable ${f.maxSustainableRate} tx/s` }] },
            layer: [
              { mark: { type: 'rule', color: 'seagreen', strokeDash: [4, 3] }, encoding: { x: { field: 'offered', type: 'quantitative' } } },
              {
                mark: { type: 'text', color: 'seagreen', align: 'left', dx: 3, baseline: 'top', y: 0 },
                encoding: { x: { field: 'offered', type: 'quantitative' }, text: { field: 'label' } },
              },
            ],
          },
        ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `find the maximum: ${f.phase} (${f.bounds.join(', ')})`,
    vconcat: [
      {
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values: throughput },
            mark: { type: 'line', point: true },
            encoding: { x, y: { field: 'value', type: 'quantitative', title: 'tx/s' }, color },
          },
          ...maxRule,
        ],
      },
      {
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values: latency },
            mark: { type: 'line', point: true },
            encoding: { x, y: { field: 'value', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } }, color },
          },
          ...maxRule,
          ...boundRules(f),
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** The latency bounds the steps were judged against, as horizontal rules on the latency panel (a refused_ratio bound has no latency scale). */
function boundRules(f: BenchReport['findMax'][number]): object[] {
  const rows = (f.limits ?? [])
    .filter((l) => l.metric !== 'refused_ratio')
    .map((l) => ({ value: l.value, label: `bound ${l.metric.replace('_', ' ').replace('p999', 'p99.9')} ${l.op} ${l.value} ms` }));
  if (rows.length === 0) return [];
  return [
    {
      data: { values: rows },
      layer: [
        { mark: { type: 'rule', color: 'firebrick', strokeDash: [6, 3] }, encoding: { y: { field: 'value', type: 'quantitative' } } },
        {
          mark: { type: 'text', color: 'firebrick', align: 'right', baseline: 'bottom', dy: -2, x: WIDTH },
          encoding: { y: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
  ];
}

/** Every chart of the report. */
export async function renderCharts(report: BenchReport): Promise<Chart[]> {
  const faults = faultRules(report);
  const charts: Chart[] = [
    { file: 'throughput.svg', title: 'Throughput over time', svg: await render(timeSeries('throughput per second', 'tx/s', throughputRows(report), faults)) },
    {
      file: 'latency.svg',
      title: 'Latency percentiles over time',
      svg: await render(timeSeries('latency percentiles per second (ms, log scale)', 'ms', latencyRows(report), faults, true)),
    },
    { file: 'distribution.svg', title: 'Latency distribution', svg: await render(distributionSpec(report)) },
  ];
  for (const [i, f] of (report.findMax ?? []).entries()) {
    if (f.steps.length === 0) continue;
    const file = i === 0 ? 'find-max.svg' : `find-max-${i + 1}.svg`;
    charts.push({ file, title: `Find the maximum: ${f.phase}`, svg: await render(findMaxSpec(f)) });
  }
  const cpu = resourceRows(report, 'cpuPct');
  if (cpu.length > 0)
    charts.push({ file: 'cpu.svg', title: 'CPU per process', svg: await render(timeSeries('CPU per process (% of one core)', '% of one core', cpu, faults)) });
  const rss = resourceRows(report, 'rssMb');
  if (rss.length > 0)
    charts.push({ file: 'rss.svg', title: 'Resident memory per node', svg: await render(timeSeries('resident memory per node (MiB)', 'MiB', rss, faults)) });
  const anon = resourceRows(report, 'anonMb');
  if (anon.length > 0)
    charts.push({
      file: 'anon.svg',
      title: 'Anonymous memory per node',
      svg: await render(timeSeries('anonymous memory per node (MiB): resident less mapped files', 'MiB', anon, faults)),
    });
  return charts;
}
