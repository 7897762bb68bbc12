// Injecting one planned fault into the running cluster and healing it:
// kill -9 (then restart), SIGSTOP/SIGCONT, SIGTERM (then restart), kill -9
// with the data dir wiped (the node rejoins empty), a partition (the node
// cut off from one or all others, both directions, at the cluster proxies),
// a slow link, a follower removed from a channel's consenters and added back
// (membershipFault.ts), a full disk (diskFault.ts). A kill of a channel's
// leader is recorded as a crash, a full disk of one as a crash from the fill
// to the halt: accepted-mode acknowledgements shortly before may be lost
// (lossAttribution.ts).

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NemesisCluster } from './cluster.js';
import { describeReadded } from './consenterIds.js';
import { diskCrash, fillDisk, haltsInLog, makeRoom } from './diskFault.js';
import { channelsLedBy, clusterStatuses, leaderIn, type HealthTrace } from './health.js';
import type { CutOffLeader } from './lossAttribution.js';
import { addConsenterBack, removeConsenter } from './membershipFault.js';
import type { PlannedFault } from './schedule.js';

/**
 * A leader's loss of what it had accepted: a process crash (kill -9, wipe) at `atMs`, or a full
 * disk from `sinceMs` (the fill: its writes could fail from then on) to `atMs` (its channels
 * halted). `ledChannels`: the channels it led.
 */
export interface CrashEvent {
  readonly atMs: number;
  /** The crash spans [sinceMs, atMs] (a full disk); undefined: a moment (a kill). */
  readonly sinceMs?: number;
  readonly node: number;
  readonly ledChannels: readonly string[];
}

export interface AppliedFault {
  readonly plan: PlannedFault;
  readonly node: number;
  /** The channels the node led right before the fault (its own /status). */
  readonly ledChannels: readonly string[];
  /** The other end of a partition or slow link (undefined: every other node). */
  readonly peer: number | undefined;
  readonly startedMs: number;
  /** When the fault was healed (process restarted or continued, link restored). */
  healedMs: number;
  /** A restarted node's listeners answer again (its process start-up done); undefined for faults without a restart. */
  upMs: number | undefined;
  /** Back to healthy after healing (after the restarted node is up, for restarts), ms; undefined when it never was within the limit. */
  backToHealthyMs: number | undefined;
  /** When each health condition first held after healing (health.ts); undefined when it never was healthy. */
  health: HealthTrace | undefined;
  /** Set when applied (kill -9, wipe) or when healed (a full disk that halted a channel the node led). */
  crash: CrashEvent | undefined;
  /** What the fault did beyond its plan (a full disk: the channels that halted), for the log. */
  outcome: string;
  /** Ends the fault (restart, SIGCONT, heal the link). */
  heal(): Promise<void>;
}

/** Starts `plan` on the cluster; `now` is the run's clock. */
export async function applyFault(cluster: NemesisCluster, plan: PlannedFault, now: () => number): Promise<AppliedFault> {
  const channel = cluster.channels[plan.channel]!;
  // One poll gives the target and every channel's leader, read as close to the fault as can be.
  const statuses = await clusterStatuses(cluster);
  const leader = leaderIn(statuses, channel);
  const followers = cluster.ids.filter((id) => id !== leader);
  // A membership change removes a follower (a removed leader hands over first: another path).
  const node = plan.role === 'leader' && plan.kind !== 'member' && leader !== undefined ? leader : followers[plan.pick % followers.length]!;
  const others = cluster.ids.filter((id) => id !== node);
  const peer = plan.peer < 0 ? undefined : others[plan.peer % others.length];
  // Every channel the node leads, by its own account: a crash of a leader the checker does not
  // know of makes its lost accepted-mode envelopes look unexplained.
  const ledChannels = channelsLedBy(statuses, node);
  const process = cluster.local.process(node);
  const startedMs = now();
  let crash: CrashEvent | undefined;
  let heal: () => Promise<void>;
  switch (plan.kind) {
    case 'kill9':
    case 'wipe': {
      await process.kill('SIGKILL');
      crash = { atMs: startedMs, node, ledChannels };
      if (plan.kind === 'wipe') wipe(path.join(cluster.dir, cluster.local.node(node).dataDir));
      heal = async () => process.start();
      break;
    }
    case 'term': {
      await process.stop(15_000);
      heal = async () => process.start();
      break;
    }
    case 'disk': {
      const dataDir = path.join(cluster.dir, cluster.local.node(node).dataDir);
      const sinceWallMs = Date.now();
      fillDisk(dataDir);
      heal = async () => {
        const exitedBy = process.running ? undefined : now();
        makeRoom(dataDir);
        await process.stop(15_000);
        // Read once the node is down: every line it wrote is in the file, a halt the failed
        // writes caused only later (in its stop) too.
        const halts = haltsInLog(cluster.local.logFile(node), sinceWallMs);
        applied.crash = diskCrash(node, ledChannels, halts, startedMs, Date.now() - now(), exitedBy);
        const halted = halts.length === 0 ? 'no write needed space' : `halted ${halts.map((h) => h.channel).join(', ')} (${halts[0]!.message.slice(0, 160)})`;
        applied.outcome = exitedBy === undefined ? halted : `its process exited (see its log); ${halted}`;
        process.start();
      };
      break;
    }
    case 'member': {
      await process.stop(15_000);
      await removeConsenter(cluster, channel, node, others);
      heal = async () => {
        await addConsenterBack(cluster, channel, others);
        applied.outcome = describeReadded(cluster.consenterIds.readded(channel, node));
        process.start();
      };
      break;
    }
    case 'stop': {
      globalThis.process.kill(process.pid!, 'SIGSTOP');
      heal = async () => {
        globalThis.process.kill(process.pid!, 'SIGCONT');
      };
      break;
    }
    case 'partition':
    case 'slow': {
      const state = plan.kind === 'partition' ? ({ kind: 'cut' } as const) : ({ kind: 'slow', delayMs: plan.delayMs } as const);
      for (const other of peer === undefined ? others : [peer]) cluster.proxies.setLink(node, other, state);
      heal = async () => cluster.proxies.healAll();
      break;
    }
  }
  const applied: AppliedFault = {
    plan,
    node,
    ledChannels,
    peer,
    startedMs,
    healedMs: startedMs,
    upMs: undefined,
    backToHealthyMs: undefined,
    health: undefined,
    crash,
    outcome: '',
    heal: async () => {
      await heal();
      applied.healedMs = now();
    },
  };
  return applied;
}

/** Empties a data directory (it may be a mount point: the directory itself stays). */
function wipe(dataDir: string): void {
  for (const entry of fs.readdirSync(dataDir)) fs.rmSync(path.join(dataDir, entry), { recursive: true, force: true });
}

/** Holds the fault for its planned duration (from its start). */
export async function holdFault(fault: AppliedFault, now: () => number): Promise<void> {
  const left = fault.startedMs + fault.plan.durationMs - now();
  if (left > 0) await sleep(left);
}

export function describeFault(f: AppliedFault): string {
  const p = f.plan;
  const target = `node ${f.node} (${p.kind === 'member' ? 'follower' : p.role} of ${p.channel})`;
  const detail =
    p.kind === 'partition'
      ? ` from ${f.peer ?? 'all'}`
      : p.kind === 'slow'
        ? ` to ${f.peer ?? 'all'} +${p.delayMs} ms`
        : p.kind === 'member'
          ? ' removed from the consenters'
          : '';
  return `#${p.index} ${p.kind} ${target}${detail} for ${p.durationMs} ms${f.outcome === '' ? '' : `: ${f.outcome}`}`;
}

/** Faults that end with the node's process started again. */
export function restarts(f: AppliedFault): boolean {
  return f.plan.kind === 'kill9' || f.plan.kind === 'wipe' || f.plan.kind === 'term' || f.plan.kind === 'member' || f.plan.kind === 'disk';
}

/** A fault that cut a leader off from every other node (a partition from all, SIGSTOP): what it accepted waits for the heal (lossAttribution.ts). */
export function cutOffLeader(f: AppliedFault): CutOffLeader | undefined {
  const cutOff = f.plan.kind === 'stop' || (f.plan.kind === 'partition' && f.peer === undefined);
  return cutOff && f.ledChannels.length > 0 ? { startedMs: f.startedMs, healedMs: f.healedMs, ledChannels: f.ledChannels } : undefined;
}
