// report.json: every figure of a run with the machine and the configuration
// it ran on. report.md and the charts are drawn from this object only, so
// they agree with it by construction.

import os from 'node:os';
import type { Percentiles } from './latency.js';
import type { NodeScrape } from './nodeScrape.js';
import type { FindMaxResult } from './findMax.js';
import type { RunResult } from './runner.js';
import type { SecondSample } from './sampler.js';
import type { Schedule } from './schedule.js';

export const REPORT_VERSION = 1;

export interface BenchConfig {
  readonly target: string;
  readonly kind: 'local' | 'external';
  readonly nodes: number;
  readonly algorithm: string;
  readonly envelopeBytes: number;
  readonly role: string;
  readonly streamsPerNode: number;
  readonly maxOutstanding: number;
  /** Open-loop send tick fixed by --tick-ms; null (or absent) when it followed the rate. */
  readonly tickMs?: number | null;
  readonly schedule: Schedule;
  /** The first channel; `channelIds` lists every channel the run loaded (absent in reports of one channel written before). */
  readonly channelId: string;
  readonly channelIds?: readonly string[];
}

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadAverage1m: number;
  readonly os: string;
  readonly node: string;
}

export interface Summary {
  readonly sent: number;
  readonly acknowledged: number;
  readonly refused: Record<string, number>;
  readonly committedOwn: number;
  readonly committedTx: number;
  readonly blocks: number;
  /** Over the whole run, drain included. */
  readonly acknowledgedTxPerS: number;
  readonly committedTxPerS: number;
  readonly blocksPerS: number;
  readonly ack: Percentiles;
  readonly ackService: Percentiles;
  readonly commit: Percentiles;
}

export interface ThresholdOutcome {
  readonly expression: string;
  readonly value: number | null;
  readonly pass: boolean;
}

export interface BenchReport {
  readonly version: number;
  readonly tool: 'orderer bench';
  readonly machine: Machine;
  readonly config: BenchConfig;
  readonly startedAt: string;
  readonly elapsedS: number;
  readonly interrupted: boolean;
  readonly summary: Summary;
  readonly rounds: (Summary & { name: string; kind: string; durationS: number })[];
  readonly seconds: SecondSample[];
  readonly faults: {
    readonly action: string;
    readonly target: string;
    readonly nodeId: number | null;
    readonly atS: number;
    readonly restartedAtS: number | null;
    readonly newLeader: number | null;
    readonly newLeaderAfterMs: number | null;
    /** The longest silence in acknowledgements / delivered blocks within 60 s of the fault: its length and start (s since the run's start). */
    readonly ackGapMs: number | null;
    readonly ackGapFromS: number | null;
    readonly commitGapMs: number | null;
    readonly commitGapFromS: number | null;
    readonly error: string | null;
  }[];
  /** Each find-max phase: its steps and the maximum sustainable rate. */
  readonly findMax: FindMaxResult[];
  readonly harness: RunResult['harness'] & {
    readonly signedAhead: number;
    readonly signedDuringRun: number;
    readonly starved: number;
    readonly signingAheadS: number;
  };
  /** The first channel's blocks and nodes' /metrics (each channel's are in `channels`). */
  readonly blocks: RunResult['blocks'];
  readonly nodeMetrics: Record<number, NodeScrape>;
  readonly nodeMetricsAtStart: Record<number, NodeScrape>;
  /** Each channel's figures; `summary` adds them up. */
  readonly channels: (Omit<RunResult['channels'][number], 'total'> & { readonly summary: Summary })[];
  readonly awaitingCommitAtEnd: number;
  readonly distribution: RunResult['distribution'];
  thresholds: ThresholdOutcome[];
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage1m: Number(os.loadavg()[0]?.toFixed(2)),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

const rate = (n: number, s: number): number => Math.round((n / Math.max(s, 0.001)) * 10) / 10;

function summarize(b: RunResult['total'], seconds: number): Summary {
  return {
    sent: b.sent,
    acknowledged: b.acknowledged,
    refused: b.refused,
    committedOwn: b.committedOwn,
    committedTx: b.committedTx,
    blocks: b.blocks,
    acknowledgedTxPerS: rate(b.acknowledged, seconds),
    committedTxPerS: rate(b.committedOwn, seconds),
    blocksPerS: rate(b.blocks, seconds),
    ack: b.ack,
    ackService: b.ackService,
    commit: b.commit,
  };
}

export function buildReport(run: RunResult, config: BenchConfig, machine: Machine): BenchReport {
  const elapsedS = run.elapsedMs / 1000;
  return {
    version: REPORT_VERSION,
    tool: 'orderer bench',
    machine,
    config,
    startedAt: run.startedAt,
    elapsedS: Math.round(elapsedS * 1000) / 1000,
    interrupted: run.interrupted,
    summary: summarize(run.total, elapsedS),
    rounds: run.rounds.map((r) => ({ ...summarize(r, r.durationS), name: r.name, kind: r.kind, durationS: r.durationS })),
    seconds: run.seconds,
    faults: run.faults.map((f, i) => {
      const gap = run.unavailability[i]!;
      return {
        action: f.fault.action,
        target: String(f.fault.node),
        nodeId: f.nodeId ?? null,
        atS: Math.round(f.atMs) / 1000,
        restartedAtS: f.restartedAtMs === undefined ? null : Math.round(f.restartedAtMs) / 1000,
        newLeader: f.newLeader ?? null,
        newLeaderAfterMs: f.newLeaderAtMs === undefined ? null : Math.round(f.newLeaderAtMs - f.atMs),
        ackGapMs: gap.ackGapMs,
        ackGapFromS: gap.ackGapFromS === null ? null : Math.round(gap.ackGapFromS * 1000) / 1000,
        commitGapMs: gap.commitGapMs,
        commitGapFromS: gap.commitGapFromS === null ? null : Math.round(gap.commitGapFromS * 1000) / 1000,
        error: f.error ?? null,
      };
    }),
    findMax: run.findMax,
    harness: {
      ...run.harness,
      signedAhead: run.supply.signedAhead,
      signedDuringRun: run.supply.signedDuringRun,
      starved: run.supply.starved,
      signingAheadS: Math.round(run.supply.signingMs) / 1000,
    },
    blocks: run.blocks,
    nodeMetrics: run.nodeMetrics,
    channels: run.channels.map(({ total, ...channel }) => ({ ...channel, summary: summarize(total, elapsedS) })),
    nodeMetricsAtStart: run.nodeMetricsAtStart,
    awaitingCommitAtEnd: run.awaitingCommitAtEnd,
    distribution: run.distribution,
    thresholds: [],
  };
}
