// The run's figures as text: faults by kind, back-to-healthy distribution,
// load and the checker's per-channel counts, failures with the seed to replay.

import type { AppliedFault } from './faults.js';
import { HEALTH_STEPS } from './health.js';
import type { NemesisReport } from './run.js';

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function backToHealthy(report: NemesisReport): { count: number; medianMs: number; p90Ms: number; maxMs: number } {
  const times = report.faults.flatMap((f) => (f.backToHealthyMs === undefined ? [] : [f.backToHealthyMs])).sort((a, b) => a - b);
  return { count: times.length, medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9), maxMs: times[times.length - 1] ?? NaN };
}

export function formatReport(report: NemesisReport): string {
  const o = report.options;
  const kinds = new Map<string, number>();
  for (const f of report.faults) kinds.set(f.plan.kind, (kinds.get(f.plan.kind) ?? 0) + 1);
  const b = backToHealthy(report);
  const byKind = [...new Set(report.faults.map((f) => f.plan.kind))].map((kind) =>
    kindFigures(
      report.faults.filter((f) => f.plan.kind === kind),
      kind,
    ),
  );
  const lines = [
    `nemesis seed ${o.seed}: ${o.durationS} s, ${o.nodes} nodes, ${o.channels} channels, engine ${o.engine}, ${o.algorithm}, election timeout ${o.tickIntervalMs * o.electionTick} ms, ${o.ratePerSec} env/s offered`,
    `faults: ${report.faults.length} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); leader crashes ${report.faults.filter((f) => f.crash !== undefined && f.crash.ledChannels.length > 0).length}`,
    `back to healthy after healing, from the restarted node's start-up for restarts (ms): median ${b.medianMs.toFixed(0)}, p90 ${b.p90Ms.toFixed(0)}, max ${b.maxMs.toFixed(0)} over ${b.count}; by kind:`,
    ...byKind.map((line) => `  ${line}`),
    `load: sent ${report.load.sent} (retries ${report.load.retries}), acknowledged ${report.acknowledged} (${report.load.duplicateAnswers} answered as duplicates), SERVICE_UNAVAILABLE ${report.load.unavailable}, stream failures ${report.load.streamFailures}, other refusals ${JSON.stringify(report.load.refused)}`,
  ];
  const sum = (pick: (c: NemesisReport['verdict']['channels'][number]) => number): number => report.verdict.channels.reduce((total, c) => total + pick(c), 0);
  const leaderKills = report.faults.filter((f) => f.crash !== undefined && f.crash.ledChannels.length > 0).length;
  lines.push(
    `totals: ${leaderKills} leader crashes; committed-mode acknowledged ${sum((c) => c.committedAcks)}, lost ${sum((c) => c.committedLost)}; accepted-mode acknowledged ${sum((c) => c.acceptedAcks)}, lost ${sum((c) => c.acceptedLostToCrash + c.acceptedLostUnexplained)}; tx ids ordered twice ${sum((c) => c.duplicates)}`,
  );
  for (const c of report.verdict.channels) {
    lines.push(
      `${c.channel}: ${c.height} blocks, ${c.transactions} tx, duplicates ${c.duplicates}; committed-mode acks ${c.committedAcks}, lost ${c.committedLost}; accepted-mode acks ${c.acceptedAcks}, lost to a leader crash ${c.acceptedLostToCrash}, lost unexplained ${c.acceptedLostUnexplained}`,
    );
  }
  const failures = [...report.failures, ...report.verdict.failures];
  if (failures.length === 0) lines.push(`PASS (seed ${o.seed})`);
  else
    lines.push(
      ...failures.map((f) => `FAIL: ${f}`),
      `FAILED: seed ${o.seed}; replay with: npm run nemesis -- --seed ${o.seed} ${replayFlags(report)} (cluster kept in ${report.dir})`,
    );
  return lines.join('\n');
}

function replayFlags(report: NemesisReport): string {
  const o = report.options;
  return `--duration-s ${o.durationS} --nodes ${o.nodes} --channels ${o.channels} --engine ${o.engine} --algorithm ${o.algorithm} --rate ${o.ratePerSec} --faults ${o.faults.join(',')} --target ${o.target} --ack ${o.ack}${o.faultsMax < 1_000_000 ? ` --faults-max ${o.faultsMax}` : ''}`;
}

/** One kind's faults: back to healthy median/p90/max, when each health condition first held (median), and the restarted node's start-up. */
export function kindFigures(faults: readonly AppliedFault[], kind: string): string {
  const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  const ms = (n: number): string => n.toFixed(0);
  const healthy = sorted(faults.flatMap((f) => (f.backToHealthyMs === undefined ? [] : [f.backToHealthyMs])));
  const steps = HEALTH_STEPS.filter((s) => s !== 'answering').map((step) => {
    const at = sorted(faults.flatMap((f) => (f.health?.firstMs[step] === undefined ? [] : [f.health.firstMs[step]!])));
    return `${step} ${ms(quantile(at, 0.5))}`;
  });
  const startUps = sorted(faults.flatMap((f) => (f.upMs === undefined ? [] : [f.upMs - f.healedMs])));
  const startUp = startUps.length === 0 ? '' : `; node start-up before it median ${ms(quantile(startUps, 0.5))}, max ${ms(startUps[startUps.length - 1]!)}`;
  // Catch-up, net of the blocks the leader kept adding: the blocks a node lacked when all followed one leader, over the time until heights were within one.
  const rates = sorted(
    faults.flatMap((f) => {
      const t = f.health;
      if (t?.behindAtLeader === undefined || t.behindAtLeader <= 1 || t.firstMs.heights === undefined || t.firstMs.leader === undefined) return [];
      return [(t.behindAtLeader - 1) / Math.max(0.001, (t.firstMs.heights - t.firstMs.leader) / 1000)];
    }),
  );
  const catchUp = rates.length === 0 ? '' : `; net catch-up median ${ms(quantile(rates, 0.5))} blocks/s over ${rates.length}`;
  const never = faults.length - healthy.length;
  return `${kind} x${faults.length}: median ${ms(quantile(healthy, 0.5))}, p90 ${ms(quantile(healthy, 0.9))}, max ${ms(healthy[healthy.length - 1] ?? NaN)}${never > 0 ? `, never ${never}` : ''} (median first ${steps.join(', ')})${catchUp}${startUp}`;
}
