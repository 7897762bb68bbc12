// One nemesis run: a cluster (cluster.ts) under load (load.ts), faults from
// the seeded schedule (schedule.ts) one after the other — inject, hold, heal,
// wait until back to healthy (every node up with a leader for each channel,
// committed heights within one block, a Broadcast accepted), pause — until
// the duration is spent; then the load stops and the checker's verdict.

import { setTimeout as sleep } from 'node:timers/promises';
import { loadClientCreator } from '../../src/client/index.js';
import { clientMsp } from '../../src/cli/index.js';
import { checkRun, type Verdict } from './checker.js';
import { createCluster, type NemesisCluster } from './cluster.js';
import { BroadcastProbe, committedHeights, describeTrace, waitHealthy } from './health.js';
import { applyFault, cutOffLeader, describeFault, holdFault, restarts, type AppliedFault, type CrashEvent } from './faults.js';
import { NemesisLoad, type LoadFigures } from './load.js';
import type { CutOffLeader } from './lossAttribution.js';
import type { NemesisOptions } from './options.js';
import { faultSchedule } from './schedule.js';

/** A fault after which the cluster is not healthy within this long fails the run. */
const HEALTHY_WITHIN_MS = 60_000;

export interface NemesisReport {
  readonly options: NemesisOptions;
  readonly faults: readonly AppliedFault[];
  readonly load: LoadFigures;
  readonly acknowledged: number;
  readonly verdict: Verdict;
  /** Failures of the run itself (never healthy again, set-up) besides the checker's. */
  readonly failures: readonly string[];
  readonly dir: string;
}

export async function runNemesis(options: NemesisOptions, log: (line: string) => void): Promise<NemesisReport> {
  const cluster = await createCluster(options);
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const failures: string[] = [];
  const faults: AppliedFault[] = [];
  const crashes: CrashEvent[] = [];
  const cutOffs: CutOffLeader[] = [];
  let load: NemesisLoad | undefined;
  let probe: BroadcastProbe | undefined;
  let verdict: Verdict = { channels: [], failures: [] };
  try {
    cluster.local.startAll();
    await cluster.local.waitHealthy(120_000);
    const creator = loadClientCreator(clientMsp(cluster.dir, cluster.manifest));
    probe = new BroadcastProbe(cluster, creator);
    await waitHealthy(cluster, probe, HEALTHY_WITHIN_MS);
    log(
      `cluster up in ${cluster.dir}: ${options.nodes} nodes, channels ${cluster.channels.join(', ')}, engine ${options.engine}, ${options.algorithm}, orderers ${options.orderers}; run clock 0 s = ${new Date(Date.now() - now()).toISOString()} (the nodes' logs are in wall-clock time)`,
    );
    load = new NemesisLoad(cluster, creator, now);
    load.start(options.ratePerSec, options.ack === 'both' ? ['committed', 'accepted'] : [options.ack]);
    await sleep(2000);
    // The duration counts from the first fault: the cluster's start-up is not part of it.
    const endAt = now() + options.durationS * 1000;
    for (const plan of faultSchedule(options)) {
      if (now() >= endAt || plan.index >= options.faultsMax) break;
      const fault = await applyFault(cluster, plan, now);
      faults.push(fault);
      await holdFault(fault, now);
      await fault.heal();
      if (fault.crash !== undefined) crashes.push(fault.crash);
      const cutOff = cutOffLeader(fault);
      if (cutOff !== undefined) cutOffs.push(cutOff);
      if (restarts(fault)) {
        await cluster.local.waitListening(fault.node, HEALTHY_WITHIN_MS * 2);
        fault.upMs = now();
        probe.reconnect(fault.node);
      }
      const healthyAt = await waitHealthy(cluster, probe, HEALTHY_WITHIN_MS).then(
        (trace) => {
          fault.health = trace;
          return now();
        },
        (err: Error) => {
          failures.push(`after ${describeFault(fault)}: ${err.message}`);
          return undefined;
        },
      );
      fault.backToHealthyMs = healthyAt === undefined ? undefined : healthyAt - (fault.upMs ?? fault.healedMs);
      const startUp = fault.upMs === undefined ? '' : ` (node start-up ${(fault.upMs - fault.healedMs).toFixed(0)} ms before)`;
      log(
        `${(now() / 1000).toFixed(1)} s ${describeFault(fault)}: back to healthy ${fault.backToHealthyMs?.toFixed(0) ?? 'NEVER'} ms${fault.health === undefined ? '' : ` (${describeTrace(fault.health)})`}${startUp}; acks ${load.acks.size}`,
      );
      if (healthyAt === undefined) break;
      await sleep(plan.pauseMs);
    }
    cluster.proxies.healAll();
    await load.stop();
    // Envelopes accepted before the load stopped may still be in a leader's block cutter, or
    // being ordered again after a leader stepped down: read the chains once a leader serves
    // every channel and no height moved for a while (a block committed after the read
    // counted its envelopes as lost).
    await waitHealthy(cluster, probe, HEALTHY_WITHIN_MS).catch((err: Error) => failures.push(`after the load stopped: ${err.message}`));
    await waitQuiet(cluster, 2 * options.electionTick * options.tickIntervalMs + options.batchTimeoutMs, HEALTHY_WITHIN_MS);
    log(`load stopped: ${load.acks.size} acknowledged; checking every node's chains`);
    verdict = await checkRun(cluster, load, crashes, cutOffs);
  } catch (err) {
    failures.push(`run failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    probe?.close();
    const failed = failures.length + verdict.failures.length > 0;
    await cluster.dispose(options.keep || failed);
  }
  return {
    options,
    faults,
    load: load?.figures ?? { sent: 0, retries: 0, refused: {}, unavailable: 0, streamFailures: 0, duplicateAnswers: 0 },
    acknowledged: load?.acks.size ?? 0,
    verdict,
    failures,
    dir: cluster.dir,
  };
}

/** Returns once no committed height changed for `quietMs` (or after `timeoutMs`). */
async function waitQuiet(cluster: NemesisCluster, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = await committedHeights(cluster);
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(Math.min(250, quietMs));
    const now = await committedHeights(cluster);
    if (now !== last || now === '') {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return;
    }
  }
}
