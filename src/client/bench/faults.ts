// Faults of a schedule, injected into a local cluster's node processes:
// kill -9, SIGTERM or SIGSTOP the leader (whoever leads at that moment) or
// node k at t; restart it (SIGCONT for a stopped one) at t2. Each fault
// records when a different leader was first seen on /metrics.

import { setTimeout as sleep } from 'node:timers/promises';
import { BenchConfigError } from './errors.js';
import type { Fault } from './schedule.js';

const LEADER_POLL_MS = 100;
const LEADER_WAIT_MS = 60_000;

/** The node processes of a cluster the harness started (the cli's ProcessCluster is one). */
export interface ProcessCluster {
  readonly nodes: readonly { readonly id: number }[];
  /** The one running node that says it leads the channel, or undefined. */
  leader(): Promise<number | undefined>;
  process(id: number): {
    readonly pid: number | undefined;
    readonly running: boolean;
    kill(signal: NodeJS.Signals): Promise<number | null>;
    start(): void;
    exited(): Promise<number | null>;
  };
}

export interface FaultEvent {
  readonly fault: Fault;
  /** The node the fault hit (the leader's id when `node` was 'leader'); undefined if there was no leader to hit. */
  nodeId: number | undefined;
  /** Times relative to the run's start, ms. */
  atMs: number;
  restartedAtMs: number | undefined;
  /** The first leader other than the faulted node seen afterwards, and when. */
  newLeader: number | undefined;
  newLeaderAtMs: number | undefined;
  error: string | undefined;
}

export function checkFaults(faults: readonly Fault[], cluster: ProcessCluster | undefined): void {
  if (faults.length === 0) return;
  if (cluster === undefined) throw new BenchConfigError('faults[0]: faults need a local cluster (the harness cannot signal an external orderer)');
  faults.forEach((fault, i) => {
    if (fault.node !== 'leader' && !cluster.nodes.some((n) => n.id === fault.node)) {
      throw new BenchConfigError(`faults[${i}].node: there is no node ${fault.node} (nodes ${cluster.nodes.map((n) => n.id).join(', ')})`);
    }
  });
}

/** Runs every fault at its time (relative to `startMs`); resolves with their events once all have happened, or the signal aborts. */
export async function runFaults(cluster: ProcessCluster, faults: readonly Fault[], startMs: number, signal: AbortSignal): Promise<FaultEvent[]> {
  return Promise.all(faults.map((fault) => runFault(cluster, fault, startMs, signal)));
}

async function waitUntil(ms: number, signal: AbortSignal): Promise<boolean> {
  const wait = ms - performance.now();
  if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
  return !signal.aborted;
}

async function runFault(cluster: ProcessCluster, fault: Fault, startMs: number, signal: AbortSignal): Promise<FaultEvent> {
  const event: FaultEvent = {
    fault,
    nodeId: undefined,
    atMs: fault.atS * 1000,
    restartedAtMs: undefined,
    newLeader: undefined,
    newLeaderAtMs: undefined,
    error: undefined,
  };
  if (!(await waitUntil(startMs + fault.atS * 1000, signal))) return event;
  const nodeId = fault.node === 'leader' ? await cluster.leader() : fault.node;
  if (nodeId === undefined) {
    event.error = 'no leader at that moment';
    return event;
  }
  event.nodeId = nodeId;
  event.atMs = performance.now() - startMs;
  const child = cluster.process(nodeId);
  const pid = child.pid;
  if (fault.action === 'stop') {
    if (pid !== undefined && child.running) process.kill(pid, 'SIGSTOP');
  } else {
    void child.kill(fault.action === 'kill' ? 'SIGKILL' : 'SIGTERM');
  }
  const watching = watchLeader(cluster, nodeId, startMs, event, signal);
  if (fault.restartAtS !== undefined && (await waitUntil(startMs + fault.restartAtS * 1000, signal))) {
    if (fault.action === 'stop') {
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
    } else {
      await child.exited();
      child.start();
    }
    event.restartedAtMs = performance.now() - startMs;
  }
  await watching;
  return event;
}

async function watchLeader(cluster: ProcessCluster, faulted: number, startMs: number, event: FaultEvent, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + LEADER_WAIT_MS;
  while (!signal.aborted && performance.now() < deadline) {
    const leader = await cluster.leader();
    if (leader !== undefined && leader !== faulted) {
      event.newLeader = leader;
      event.newLeaderAtMs = performance.now() - startMs;
      return;
    }
    await sleep(LEADER_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
