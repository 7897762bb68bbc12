// report.md: a self-contained page a person reads — what ran where, the
// headline figures, the rounds, faults with their unavailability windows, the
// harness's own cost, the charts — every number taken from report.json.

import type { Percentiles } from './latency.js';
import type { BenchReport } from './report.js';
import type { Chart } from './charts.js';

const n = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const int = (v: number): string => v.toLocaleString('en-US');

function latencyRow(name: string, p: Percentiles): string {
  return `| ${name} | ${int(p.count)} | ${n(p.p50)} | ${n(p.p90)} | ${n(p.p99)} | ${n(p.p999)} | ${n(p.max)} |`;
}

function refusedText(refused: Record<string, number>): string {
  const entries = Object.entries(refused);
  return entries.length === 0 ? 'none' : entries.map(([status, count]) => `${status} ${int(count)}`).join(', ');
}

function describeSchedule(report: BenchReport): string[] {
  return report.config.schedule.phases.map((p) =>
    p.kind === 'rate'
      ? `- ${p.name}: open loop, ${p.rate === p.toRate ? `${int(p.rate)} tx/s` : `ramp ${int(p.rate)} → ${int(p.toRate)} tx/s`} for ${p.durationS} s`
      : p.kind === 'backlog'
        ? `- ${p.name}: closed loop, ${int(p.backlog)} envelopes outstanding, for ${p.durationS} s`
        : `- ${p.name}: find the maximum, open loop from ${int(p.startRate)} tx/s, +${int(p.stepRate)} tx/s every ${p.stepS} s up to ${int(p.maxRate)} tx/s ` +
          `(${p.maxSteps} steps at most), while ${p.bounds.map((b) => `\`${b.expression}\``).join(' and ')}`,
  );
}

function channelsText(report: BenchReport): string {
  const ids = report.config.channelIds ?? [report.config.channelId];
  return ids.length === 1 ? `channel \`${ids[0]}\`` : `${ids.length} channels (${ids.map((c) => `\`${c}\``).join(', ')}), the load split evenly over them`;
}

/** Broadcast SUCCESS the nodes counted during the run on one channel (undefined without /metrics). */
function nodesSuccess(metrics: BenchReport['nodeMetrics'], atStart: BenchReport['nodeMetricsAtStart']): number | undefined {
  const counted = Object.entries(metrics).filter(([, m]) => m.broadcastSuccess !== undefined);
  if (Object.keys(metrics).length === 0) return undefined;
  return counted.reduce((sum, [id, m]) => sum + m.broadcastSuccess! - (atStart[Number(id)]?.broadcastSuccess ?? 0), 0);
}

function channelLines(report: BenchReport): string[] {
  const channels = report.channels ?? [];
  if (channels.length < 2) return [];
  return [
    '## Channels',
    '',
    'Each channel had its own Broadcast streams, envelopes and Deliver stream; the summary adds them up.',
    '',
    "| channel | sent | acknowledged | refused | committed tx/s | blocks | ack p50 | ack p99 | commit p50 | commit p99 | SUCCESS on the nodes' /metrics |",
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...channels.map((c) => {
      const s = c.summary;
      const success = nodesSuccess(c.nodeMetrics, c.nodeMetricsAtStart);
      return (
        `| ${c.channelId} | ${int(s.sent)} | ${int(s.acknowledged)} | ${refusedText(s.refused)} | ${int(Math.round(s.committedTxPerS))} | ${int(s.blocks)} | ` +
        `${n(s.ack.p50)} | ${n(s.ack.p99)} | ${n(s.commit.p50)} | ${n(s.commit.p99)} | ${success === undefined ? '—' : int(success)} |`
      );
    }),
    '',
    ...channelSecondLines(report),
  ];
}

/** Each channel's committed and acknowledged tx/s, second by second (report.json's seconds[].channels). */
function channelSecondLines(report: BenchReport): string[] {
  const seconds = report.seconds.filter((s) => s.channels !== undefined);
  if (seconds.length === 0) return [];
  const ids = report.channels.map((c) => c.channelId);
  const perS = (count: number, intervalS: number): string => int(Math.round(count / Math.max(intervalS, 0.001)));
  return [
    '### Each channel, second by second',
    '',
    'Committed / acknowledged tx/s of each channel over each interval.',
    '',
    `| t s | phase | ${ids.join(' | ')} |`,
    `|---:|---|${ids.map(() => '---:').join('|')}|`,
    ...seconds.map(
      (s) =>
        `| ${n(s.t, 1)} | ${s.phase} | ${s.channels!.map((c) => `${perS(c.committedOwn, s.intervalS)} / ${perS(c.acknowledged, s.intervalS)}`).join(' | ')} |`,
    ),
    '',
  ];
}

function findMaxLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const f of report.findMax ?? []) {
    const max = f.maxSustainableRate;
    const ratio = (v: number | null) => (v === null ? '—' : `${n(v * 100, 2)}%`);
    lines.push(
      `## Find the maximum: ${f.phase}`,
      '',
      `**Maximum sustainable rate: ${max === null ? 'none (the first step already broke a bound)' : `${int(max)} tx/s offered`}** — ` +
        `each step within ${f.bounds.map((b) => `\`${b}\``).join(' and ')} and acknowledging at least ${Math.round(f.keepUp * 100)}% of what it made due; ` +
        `the search ended: ${f.ended}.`,
      '',
      '| offered tx/s | s | ack tx/s | committed tx/s | refused | ack p50 | ack p99 | commit p50 | commit p99 | verdict |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      ...f.steps.map(
        (st) =>
          `| ${int(st.rate)} | ${n(st.durationS)} | ${int(Math.round(st.acknowledgedTxPerS))} | ${int(Math.round(st.committedTxPerS))} | ${ratio(st.refusedRatio)} | ` +
          `${n(st.ackP50)} | ${n(st.ackP99)} | ${n(st.commitP50)} | ${n(st.commitP99)} | ${st.pass ? 'within bounds' : `**over**: ${st.reasons.join('; ')}`} |`,
      ),
      '',
    );
  }
  return lines;
}

/** Each local node's memory over the run: resident, and anonymous (what a leak grows; the ledger's mapped pages are not in it). */
function memoryLines(report: BenchReport): string[] {
  const byNode = new Map<number, { t: number; rssMb: number; anonMb: number | undefined }[]>();
  for (const s of report.seconds)
    for (const node of s.nodes)
      if (node.rssMb !== undefined && node.rssMb !== null)
        byNode.set(node.id, [...(byNode.get(node.id) ?? []), { t: s.t, rssMb: node.rssMb, anonMb: node.anonMb ?? undefined }]);
  if (byNode.size === 0) return [];
  const mb = (v: number | undefined): string => (v === undefined ? '—' : int(Math.round(v)));
  const maxOf = (vs: (number | undefined)[]): number | undefined =>
    vs.some((v) => v !== undefined) ? Math.max(...vs.filter((v) => v !== undefined)) : undefined;
  return [
    '## Memory per node',
    '',
    'MiB, read once a second from /proc. Anonymous: resident less shared pages (heap, buffers, stacks; a ledger read through its memory map is not in it).',
    '',
    '| node | resident max | resident at the end | anonymous at 10 s | anonymous max | anonymous at the end |',
    '|---|---:|---:|---:|---:|---:|',
    ...[...byNode].map(([id, points]) => {
      const at10 = points.find((p) => p.t >= 10) ?? points[0]!;
      const last = points[points.length - 1]!;
      return `| ${id} | ${mb(maxOf(points.map((p) => p.rssMb)))} | ${mb(last.rssMb)} | ${mb(at10.anonMb)} | ${mb(maxOf(points.map((p) => p.anonMb)))} | ${mb(last.anonMb)} |`;
    }),
    '',
  ];
}

export function renderMarkdown(report: BenchReport, charts: readonly Chart[]): string {
  const s = report.summary;
  const m = report.machine;
  const h = report.harness;
  const lines: string[] = [
    `# orderer bench — ${report.startedAt}`,
    '',
    `${report.config.target}; ${channelsText(report)}; ${report.config.algorithm} envelopes of ${int(report.config.envelopeBytes)} bytes, every tx id unique; ` +
      `load to ${report.config.role} over ${report.config.streamsPerNode} Broadcast stream(s) per node.`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load average ${m.loadAverage1m} at the end` +
      ` (the harness and every local node share these cores).`,
    report.interrupted ? '\n**Interrupted (Ctrl-C): the figures cover the run so far.**' : '',
    '',
    '## Schedule',
    '',
    ...describeSchedule(report),
    ...report.config.schedule.faults.map(
      (f) =>
        `- fault: ${f.action} ${f.node === 'leader' ? 'the leader' : `node ${f.node}`} at ${f.atS} s${f.restartAtS === undefined ? '' : `, restart at ${f.restartAtS} s`}`,
    ),
    '',
    '## Summary',
    '',
    `Over ${n(report.elapsedS)} s (drain included): **${int(Math.round(s.committedTxPerS))} committed tx/s**, ${int(Math.round(s.acknowledgedTxPerS))} acknowledged tx/s, ${n(s.blocksPerS, 2)} blocks/s.`,
    '',
    `Sent ${int(s.sent)}, acknowledged ${int(s.acknowledged)}, refused: ${refusedText(s.refused)}; committed ${int(s.committedOwn)} of the harness's envelopes ` +
      `(${int(s.committedTx)} tx in ${int(s.blocks)} blocks on the Deliver stream)${report.awaitingCommitAtEnd > 0 ? `; ${int(report.awaitingCommitAtEnd)} sent but not seen committed at the end` : ''}.`,
    '',
    'Latency in ms. "ack" is Broadcast acknowledgement, "commit" is Broadcast to the block holding the envelope delivered; both count from the',
    '*intended* send time (open loop: the schedule\'s time, so a stalled orderer cannot hide its stall); "ack, from actual send" is what a tool without that correction would show.',
    '',
    '| latency | count | p50 | p90 | p99 | p99.9 | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    latencyRow('ack', s.ack),
    latencyRow('ack, from actual send', s.ackService),
    latencyRow('commit', s.commit),
    '',
    '## Rounds',
    '',
    '| round | s | committed tx/s | ack tx/s | refused | ack p50 | ack p99 | ack p99.9 | commit p50 | commit p99 |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...report.rounds.map(
      (r) =>
        `| ${r.name} | ${r.durationS} | ${int(Math.round(r.committedTxPerS))} | ${int(Math.round(r.acknowledgedTxPerS))} | ${refusedText(r.refused)} | ${n(r.ack.p50)} | ${n(r.ack.p99)} | ${n(r.ack.p999)} | ${n(r.commit.p50)} | ${n(r.commit.p99)} |`,
    ),
    '',
  ];
  lines.push(...channelLines(report), ...findMaxLines(report));
  if (report.faults.length > 0) {
    lines.push(
      '## Faults',
      '',
      'Unavailability: the longest silence within 60 s of the fault, in acknowledgements and in delivered blocks.',
      '',
      '| fault | node | at s | restarted at s | new leader | after ms | ack gap ms | ack gap from s | commit gap ms | commit gap from s |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...report.faults.map(
        (f) =>
          `| ${f.action} ${f.target}${f.error ? ` (${f.error})` : ''} | ${f.nodeId ?? '—'} | ${n(f.atS, 3)} | ${n(f.restartedAtS, 3)} | ${f.newLeader ?? '—'} | ${f.newLeaderAfterMs ?? '—'} | ` +
          `${f.ackGapMs ?? '—'} | ${n(f.ackGapFromS, 3)} | ${f.commitGapMs ?? '—'} | ${n(f.commitGapFromS, 3)} |`,
      ),
      '',
    );
  }
  lines.push(
    '## Harness cost',
    '',
    `**${n(h.harnessUsPerEnvelope)} µs of CPU per envelope sent, acknowledged and followed to its commit**: every thread of the harness process ` +
      `(${int(Math.round(h.processCpuUs / 1000))} ms over ${int(h.acknowledged)} envelopes): the main thread — HTTP/2, TLS, sending, counting, following blocks — ` +
      `${n(h.mainThreadUsPerEnvelope)} µs, V8's platform threads (GC, compilation) ${n(h.platformUsPerEnvelope)} µs, the others (libuv) ${n(h.otherThreadsUsPerEnvelope)} µs. ` +
      `Signing on the fly, in processes of its own and not in that figure: ${n(h.signingUsPerEnvelope)} µs per envelope; harness and signing together: ${n(h.withSigningUsPerEnvelope)} µs. ` +
      `Signed ahead: ${int(h.signedAhead)} envelopes in ${n(h.signingAheadS)} s; signed during the run: ${int(h.signedDuringRun)}; sender found no envelope ready ${int(h.starved)} times.`,
    '',
  );
  if (h.steady !== undefined) {
    const st = h.steady;
    lines.push(
      `At steady state, from ${n(st.fromS)} s into the run to the end (the first seconds carry V8 compiling the harness's hot code and sizing its heap): ` +
        `**${n(st.harnessUsPerEnvelope)} µs** per envelope over ${int(st.acknowledged)} envelopes, every thread of the harness process; ` +
        `main thread ${n(st.mainThreadUsPerEnvelope)} µs, V8's platform threads ${n(st.platformUsPerEnvelope)} µs, the others ${n(st.otherThreadsUsPerEnvelope)} µs.`,
      '',
    );
  }
  const metrics = Object.entries(report.nodeMetrics);
  if (metrics.length > 0) {
    lines.push(
      (report.channels?.length ?? 1) > 1 ? `## Nodes at the end (/metrics, channel ${report.config.channelId})` : '## Nodes at the end (/metrics)',
      '',
      '| node | leader | committed block | Broadcast SUCCESS during the run |',
      '|---|---|---:|---:|',
      ...metrics.map(([id, m]) => {
        const before = report.nodeMetricsAtStart[Number(id)]?.broadcastSuccess ?? 0;
        return `| ${id} | ${m.isLeader ? 'yes' : 'no'} | ${m.committedBlockNumber ?? '—'} | ${m.broadcastSuccess === undefined ? '—' : int(m.broadcastSuccess - before)} |`;
      }),
      '',
    );
  }
  lines.push(...memoryLines(report));
  if (report.thresholds.length > 0) {
    lines.push('## Thresholds', '', ...report.thresholds.map((t) => `- ${t.pass ? 'pass' : '**FAIL**'}: \`${t.expression}\` (value ${n(t.value, 2)})`), '');
  }
  lines.push('## Charts', '', ...charts.flatMap((c) => [`### ${c.title}`, '', `![${c.title}](${c.file})`, '']));
  return `${lines.filter((line, i, all) => !(line === '' && all[i - 1] === '')).join('\n')}\n`;
}
