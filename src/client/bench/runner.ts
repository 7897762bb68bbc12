// One benchmark run: open the Broadcast lanes, follow commits, drive the
// schedule's phases, inject its faults, sample every second; then drain
// (outstanding answers, commits of acknowledged envelopes) and hand back
// every figure. Aborting the signal (Ctrl-C) ends the run early with what
// was measured so far.

import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastLane } from './broadcastLane.js';
import { distribution } from './latency.js';
import { CommitFollower } from './commitFollower.js';
import { Driver } from './driver.js';
import type { EnvelopeSupply, SupplyStats } from './envelopeSupply.js';
import { checkFaults, runFaults, type FaultEvent } from './faults.js';
import { scrapeNodeChannels, type NodeScrape } from './nodeScrape.js';
import { BenchConfigError } from './errors.js';
import { harnessCost, WARM_UP_S, type HarnessCost, type SteadyHarnessCost } from './harnessCost.js';
import { readHarnessThreads, type HarnessThreadsCpu } from './procStat.js';
import { Recorder, type BucketSummary } from './recorder.js';
import { Sampler, type SecondSample } from './sampler.js';
import { findMaxRates, type BacklogPhase, type FindMaxPhase, type Phase, type RatePhase, type Schedule } from './schedule.js';

type DrivenPhase = RatePhase | BacklogPhase;
import { findMaxResult, judgeStep, type FindMaxResult, type StepResult } from './findMax.js';
import type { BenchTarget, TargetRole } from './targets.js';

const LANE_RETRY_MS = 200;
const ANSWER_DRAIN_MS = 10_000;
const COMMIT_DRAIN_MS = 10_000;

export interface RunOptions {
  readonly target: BenchTarget;
  readonly schedule: Schedule;
  readonly role: TargetRole;
  /** Broadcast streams per target node. */
  readonly streamsPerNode: number;
  /** Open loop: envelopes outstanding at most, over all channels (beyond it, due envelopes wait, their latency counting). */
  readonly maxOutstanding: number;
  /** Signed envelopes: one supply per channel of the target, in its order (one supply for a one-channel target). */
  readonly supply: EnvelopeSupply | readonly EnvelopeSupply[];
  /** Sign more on the fly while the queue holds a reserve. Default: when a phase is closed loop (how many it needs is unknown). */
  readonly refill?: boolean;
  readonly signal?: AbortSignal;
  /** Open loop: wake to send at most this often (ms); default: about 8 envelopes' worth of the rate, 2..10 ms. */
  readonly tickMs?: number;
  readonly onSample?: (sample: SecondSample, driver: { outstanding: number }) => void;
  /** Read every node's /proc and /metrics each second (default true); off, the harness's CPU is only its own sending, counting and following. */
  readonly watchNodes?: boolean;
  /** Seconds from the first send after which the harness's steady-state cost is counted (default WARM_UP_S). */
  readonly warmUpS?: number;
  /** Called as each round (a phase, a find-max step) starts, with its name, and with 'drain' when sending stops: a caller can measure over a phase. */
  readonly onRound?: (name: string) => void;
}

/** One channel's part of a run: its figures over the whole run, the blocks its Deliver stream saw, its nodes' /metrics. */
export interface ChannelResult {
  readonly channelId: string;
  readonly total: BucketSummary;
  readonly blocks: { readonly base: number | null; readonly last: number | null };
  readonly nodeMetrics: Record<number, NodeScrape>;
  readonly nodeMetricsAtStart: Record<number, NodeScrape>;
}

export interface RoundResult extends BucketSummary {
  readonly name: string;
  /** A find-max phase has one round per step. */
  readonly kind: Phase['kind'];
  readonly durationS: number;
}

export interface RunResult {
  readonly startedAt: string;
  readonly elapsedMs: number;
  readonly interrupted: boolean;
  readonly total: BucketSummary;
  readonly rounds: RoundResult[];
  readonly seconds: SecondSample[];
  readonly faults: FaultEvent[];
  /** One per find-max phase that ran: each step's figures and the maximum sustainable rate. */
  readonly findMax: FindMaxResult[];
  readonly unavailability: { fault: number; ackGapMs: number | null; ackGapFromS: number | null; commitGapMs: number | null; commitGapFromS: number | null }[];
  /** Over the whole run; `steady`: from WARM_UP_S on (absent for runs too short to have one). */
  readonly harness: HarnessCost & { readonly steady?: SteadyHarnessCost };
  readonly supply: SupplyStats;
  /** The first channel's: block numbers seen on its Deliver stream (the newest at the start, the last at the end). */
  readonly blocks: { readonly base: number | null; readonly last: number | null };
  /** The first channel's: each node's /metrics after the drain, and before the first send. */
  readonly nodeMetrics: Record<number, NodeScrape>;
  readonly nodeMetricsAtStart: Record<number, NodeScrape>;
  /** Each channel's figures (one entry for a one-channel run); the totals above add them up. */
  readonly channels: ChannelResult[];
  readonly awaitingCommitAtEnd: number;
  /** Whole-run latency distributions (percentile -> ms). */
  readonly distribution: { readonly ack: Point[]; readonly ackService: Point[]; readonly commit: Point[] };
}

type Point = { percentile: number; ms: number };

export async function runBench(options: RunOptions): Promise<RunResult> {
  const { target, schedule } = options;
  checkFaults(schedule.faults, target.cluster);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  const channelIds = target.channelIds;
  const supplies = Array.isArray(options.supply) ? (options.supply as readonly EnvelopeSupply[]) : [options.supply as EnvelopeSupply];
  if (supplies.length !== channelIds.length) throw new BenchConfigError(`${supplies.length} envelope supplies for ${channelIds.length} channels`);
  const recorder = new Recorder(channelIds.length);
  const perChannelOutstanding = Math.max(1, Math.floor(options.maxOutstanding / channelIds.length));
  const drivers = channelIds.map((channelId, i) => new Driver(recorder, supplies[i]!, perChannelOutstanding, i, channelId, options.tickMs));
  const followers = channelIds.map(
    (channelId, i) =>
      new CommitFollower({
        channelId,
        creator: target.creator,
        sources: () => target.deliverEndpoints().map((e) => e.session),
        onBlock: (_number, keys, count, nowMs) => recorder.block(i, keys, count, nowMs),
        signal: stop.signal,
      }),
  );
  const following = Promise.all(followers.map((f) => f.run()));
  // The progress line and the live view see all channels as one.
  const outstanding = {
    get outstanding(): number {
      return drivers.reduce((sum, d) => sum + d.outstanding, 0);
    },
  };
  const setPhase = (phase: DrivenPhase | undefined, nowMs: number): void => {
    for (const driver of drivers) driver.setPhase(phase === undefined ? undefined : shareOf(phase, drivers.length), nowMs);
  };
  let phaseName = 'starting';
  try {
    await Promise.race([
      Promise.all(followers.map((f) => f.firstBlock)),
      sleep(30_000).then(() => Promise.reject(new Error('no block delivered within 30 s'))),
    ]);
    for (const driver of drivers) {
      await openLanes(driver, options, stop.signal);
      driver.laneDownHandler = (lane) => void reopenLane(lane, driver, options, stop.signal);
    }
    for (const supply of supplies) supply.startRun(options.refill ?? schedule.phases.some((p) => p.kind !== 'rate'));
    const channelMetricsAtStart = await scrapeAll(target);
    const nodeMetricsAtStart = channelMetricsAtStart[0]!;

    const startMs = performance.now();
    const startedAt = new Date().toISOString();
    recorder.ackGaps.start(startMs);
    recorder.commitGaps.start(startMs);
    const signingPids = supplies[0]!.signingPids;
    const cpuStart = readHarnessThreads(signingPids);
    // The same reading once the warm-up is over: the steady-state cost runs from there to the end.
    const warmUpS = options.warmUpS ?? WARM_UP_S;
    let warm: { cpu: HarnessThreadsCpu; acknowledged: number; atS: number } | undefined;
    const warmTimer = setTimeout(() => {
      warm = { cpu: readHarnessThreads(signingPids), acknowledged: recorder.acknowledged, atS: (performance.now() - startMs) / 1000 };
    }, warmUpS * 1000);
    const sampler = new Sampler(
      target,
      recorder,
      startMs,
      () => phaseName,
      (s) => options.onSample?.(s, outstanding),
      options.watchNodes ?? true,
    );
    sampler.start();
    const faulting = target.cluster === undefined ? Promise.resolve([]) : runFaults(target.cluster, schedule.faults, startMs, stop.signal);

    const roundsRun: { name: string; kind: Phase['kind']; startMs: number }[] = [];
    const startRound = (name: string, kind: Phase['kind']): void => {
      phaseName = name;
      recorder.startRound();
      roundsRun.push({ name, kind, startMs: performance.now() });
      options.onRound?.(name);
    };
    const findMax: FindMaxResult[] = [];
    for (const phase of schedule.phases) {
      if (stop.signal.aborted) break;
      if (phase.kind === 'find-max') {
        findMax.push(await stepUp(phase, setPhase, recorder, startRound, stop.signal));
        continue;
      }
      startRound(phase.name, phase.kind);
      setPhase(phase, performance.now());
      await sleepLong(phase.durationS * 1000, stop.signal);
    }
    const sendingEndMs = performance.now();
    const interrupted = stop.signal.aborted && options.signal?.aborted === true;
    setPhase(undefined, performance.now());
    phaseName = 'drain';
    options.onRound?.('drain');
    await Promise.race([Promise.all(drivers.map((d) => d.drained())), sleep(interrupted ? 2000 : ANSWER_DRAIN_MS)]);
    // What the drain could not send by its deadline is not sent.
    for (const driver of drivers) driver.stop();
    const commitDeadline = performance.now() + (interrupted ? 2000 : COMMIT_DRAIN_MS);
    while (recorder.awaitingCommit > 0 && followers.every((f) => f.lastNumber !== undefined) && performance.now() < commitDeadline) await sleep(50);
    const endMs = performance.now();
    const cpuEnd = readHarnessThreads(signingPids);
    clearTimeout(warmTimer);
    const steadyUntilS = (endMs - startMs) / 1000;
    const steady: SteadyHarnessCost | undefined =
      warm === undefined || steadyUntilS - warm.atS < warmUpS
        ? undefined
        : { ...harnessCost(warm.cpu, cpuEnd, recorder.acknowledged - warm.acknowledged), fromS: Math.round(warm.atS * 10) / 10 };
    stop.abort();
    sampler.sample();
    await sampler.stop();
    const faults = await faulting;
    for (const driver of drivers) for (const lane of driver.lanes) lane.cancel();
    // A round the run was interrupted in counts for the time it ran.
    const rounds: RoundResult[] = recorder.roundSummaries().map((summary, i) => {
      const round = roundsRun[i]!;
      const durationS = ((roundsRun[i + 1]?.startMs ?? sendingEndMs) - round.startMs) / 1000;
      return { ...summary, name: round.name, kind: round.kind, durationS: Math.round(durationS * 1000) / 1000 };
    });
    const totals = recorder.totalSummary();
    const total = totals.summary;
    const channelMetrics = await scrapeAll(target);
    const channels: ChannelResult[] = channelIds.map((channelId, i) => ({
      channelId,
      total: channelIds.length === 1 ? total : recorder.channelSummary(i),
      blocks: { base: followers[i]!.baseNumber ?? null, last: followers[i]!.lastNumber ?? null },
      nodeMetrics: channelMetrics[i]!,
      nodeMetricsAtStart: channelMetricsAtStart[i]!,
    }));
    return {
      startedAt,
      elapsedMs: endMs - startMs,
      interrupted,
      total,
      rounds,
      seconds: sampler.samples,
      faults,
      findMax,
      unavailability: faults.map((f, i) => unavailability(recorder, f, i, startMs, sendingEndMs)),
      harness: { ...harnessCost(cpuStart, cpuEnd, total.acknowledged), ...(steady !== undefined && { steady }) },
      supply: supplyStats(supplies),
      blocks: channels[0]!.blocks,
      nodeMetrics: channels[0]!.nodeMetrics,
      nodeMetricsAtStart,
      channels,
      awaitingCommitAtEnd: recorder.awaitingCommit,
      distribution: { ack: distribution(totals.ack), ackService: distribution(totals.ackService), commit: distribution(totals.commit) },
    };
  } finally {
    stop.abort();
    options.signal?.removeEventListener('abort', onAbort);
    for (const driver of drivers) driver.stop();
    for (const driver of drivers) for (const lane of driver.lanes) lane.cancel();
    await following;
    resumeStopped(target, schedule);
  }
}

/**
 * Runs a find-max phase: one open-loop round per step, each judged when it
 * ends; stops at the first step that fails its bounds, after the last step,
 * or when the run is aborted (a step cut short is not judged).
 */
async function stepUp(
  phase: FindMaxPhase,
  setPhase: (phase: DrivenPhase, nowMs: number) => void,
  recorder: Recorder,
  startRound: (name: string, kind: Phase['kind']) => void,
  signal: AbortSignal,
): Promise<FindMaxResult> {
  const steps: StepResult[] = [];
  for (const rate of findMaxRates(phase)) {
    const name = `${phase.name} ${rate} tx/s`;
    startRound(name, 'find-max');
    const started = performance.now();
    setPhase({ kind: 'rate', name, durationS: phase.stepS, rate, toRate: rate }, started);
    await sleepLong(phase.stepS * 1000, signal);
    if (signal.aborted) break;
    const step = judgeStep(rate, (performance.now() - started) / 1000, recorder.currentRoundSummary(), phase.bounds);
    steps.push(step);
    if (!step.pass) break;
  }
  return findMaxResult(phase, steps, signal.aborted);
}

/**
 * The longest silences overlapping [fault, fault + 60 s], while the harness
 * was still sending (the drain's silence after the last answer is no outage).
 */
function unavailability(recorder: Recorder, fault: FaultEvent, index: number, startMs: number, sendingEndMs: number) {
  const from = startMs + fault.atMs;
  const to = Math.min(sendingEndMs, from + 60_000);
  const ack = recorder.ackGaps.longestWithin(from, to, sendingEndMs);
  const commit = recorder.commitGaps.longestWithin(from, to, sendingEndMs);
  const round = (ms: number) => Math.round(ms);
  return {
    fault: index,
    ackGapMs: ack ? round(ack.toMs - ack.fromMs) : null,
    ackGapFromS: ack ? (ack.fromMs - startMs) / 1000 : null,
    commitGapMs: commit ? round(commit.toMs - commit.fromMs) : null,
    commitGapFromS: commit ? (commit.fromMs - startMs) / 1000 : null,
  };
}

/** A SIGSTOPped node that the schedule never resumed is resumed, so it can stop cleanly. */
function resumeStopped(target: BenchTarget, schedule: Schedule): void {
  if (target.cluster === undefined) return;
  for (const fault of schedule.faults) {
    if (fault.action !== 'stop') continue;
    for (const node of target.cluster.nodes) {
      const pid = target.cluster.process(node.id).pid;
      if (pid !== undefined && target.cluster.process(node.id).running) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Already gone.
        }
      }
    }
  }
}

/** Each channel's share of a phase: the schedule's rate and backlog are for the whole run, split evenly over the channels. */
function shareOf(phase: DrivenPhase, channels: number): DrivenPhase {
  if (channels === 1) return phase;
  if (phase.kind === 'backlog') return { ...phase, backlog: Math.max(1, Math.round(phase.backlog / channels)) };
  return { ...phase, rate: phase.rate / channels, toRate: phase.toRate / channels };
}

function supplyStats(supplies: readonly EnvelopeSupply[]): SupplyStats {
  const all = supplies.map((s) => s.stats());
  const sum = (key: keyof SupplyStats) => all.reduce((total, s) => total + s[key], 0);
  return {
    signedAhead: sum('signedAhead'),
    signedDuringRun: sum('signedDuringRun'),
    starved: sum('starved'),
    signingMs: Math.max(...all.map((s) => s.signingMs)),
  };
}

async function openLanes(driver: Driver, options: RunOptions, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const endpoints = await options.target.sendEndpoints(options.role, driver.channelId);
    if (endpoints.length > 0) {
      for (const endpoint of endpoints) {
        for (let s = 0; s < options.streamsPerNode; s++) {
          const lane = new BroadcastLane(`${endpoint.label} ${driver.channelId} #${s + 1}`, driver);
          lane.open(endpoint.session, endpoint.nodeId);
          driver.lanes.push(lane);
        }
      }
      return;
    }
    if (signal.aborted || attempt > 150) throw new Error(`no ${options.role} endpoint to send to`);
    await sleep(LANE_RETRY_MS);
  }
}

/** Reopens a failed lane on an endpoint of its role (after a kill the leader may be another node), retrying until the run ends. */
async function reopenLane(lane: BroadcastLane, driver: Driver, options: RunOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await sleep(LANE_RETRY_MS, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    const endpoints = await options.target.sendEndpoints(options.role, driver.channelId);
    if (endpoints.length === 0) continue;
    const same = endpoints.find((e) => e.nodeId !== undefined && e.nodeId === lane.nodeId);
    const endpoint = same ?? endpoints[driver.lanes.indexOf(lane) % endpoints.length]!;
    lane.open(endpoint.session, endpoint.nodeId);
    driver.wake();
    return;
  }
}

/** Each channel's (in the target's order) view of every node's /metrics. */
async function scrapeAll(target: BenchTarget): Promise<Record<number, NodeScrape>[]> {
  const out: Record<number, NodeScrape>[] = target.channelIds.map(() => ({}));
  await Promise.all(
    target.nodes.map(async (node) => {
      if (node.operations === undefined) return;
      const scrapes = await scrapeNodeChannels(node.operations, target.channelIds);
      scrapes?.forEach((scrape, i) => {
        out[i]![node.id] = scrape;
      });
    }),
  );
  return out;
}

/** Sleeps `ms` (longer than a timer's 2^31 - 1 ms, for the live view's year-long phase) or until `signal` aborts. */
async function sleepLong(ms: number, signal: AbortSignal): Promise<void> {
  const until = performance.now() + ms;
  while (!signal.aborted) {
    const left = until - performance.now();
    if (left <= 0) return;
    await sleep(Math.min(left, 3_600_000), undefined, { signal }).catch(() => undefined);
  }
}
