// CPU per role of a local cluster and of this process (the load generator),
// per thread group from /proc (threadCpu.ts): each process's CPU with no load,
// the lines bench:cluster prints per committed tx over a window, and the
// single-core cost of one P-256 verify the figures are compared with.

import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCluster } from '../../src/cli/index.js';
import { createCryptoProvider } from '../../src/crypto/index.js';
import { cpuSince, threadGroupsCpu, totalUs, type ThreadGroupsCpu } from './threadCpu.js';

/** CPU of the cluster's processes and of this one (the load generator), per thread group. */
export function clusterCpu(cluster: LocalCluster): Map<number | 'load', ThreadGroupsCpu> {
  const cpu = new Map<number | 'load', ThreadGroupsCpu>();
  for (const node of cluster.nodes) {
    const pid = cluster.process(node.id).pid;
    if (pid !== undefined) cpu.set(node.id, threadGroupsCpu(pid));
  }
  cpu.set('load', threadGroupsCpu(process.pid));
  return cpu;
}

export type ClusterCpu = Map<number | 'load', ThreadGroupsCpu>;

/** µs of CPU per second each process spends with no load (ticks, heartbeats, metrics, timers). */
export async function idleCpuPerSecond(cluster: LocalCluster, seconds: number): Promise<Map<number | 'load', number>> {
  const before = clusterCpu(cluster);
  await sleep(seconds * 1000);
  const after = clusterCpu(cluster);
  const idle = new Map<number | 'load', number>();
  for (const [who, end] of after) {
    const start = before.get(who);
    if (start !== undefined) idle.set(who, totalUs(cpuSince(start, end)) / seconds);
  }
  return idle;
}

/**
 * One line per role: µs of CPU per committed tx over the window, and the same
 * net of the role's idle CPU rate (on a loaded machine a window commits few
 * transactions, and a process's fixed cost per second would weigh on each).
 */
export function describeCpu(
  before: ClusterCpu,
  after: ClusterCpu,
  idlePerS: Map<number | 'load', number>,
  seconds: number,
  leader: number,
  txs: number,
  verifyUs: number,
): string[] {
  const per = (us: number) => (txs > 0 ? us / txs : Number.NaN).toFixed(1);
  const lines: string[] = [];
  let all = 0;
  let allNet = 0;
  for (const [who, end] of after) {
    const start = before.get(who);
    if (start === undefined) continue;
    const d = cpuSince(start, end);
    const net = totalUs(d) - (idlePerS.get(who) ?? 0) * seconds;
    all += totalUs(d);
    allNet += net;
    const role = who === 'load' ? 'load generator (this process)' : who === leader ? `leader node ${who}` : `follower node ${who}`;
    lines.push(
      `  ${role.padEnd(30)} ${per(totalUs(d)).padStart(7)} µs/tx = main ${per(d.mainUs)} + pool ${per(d.poolUs)} + other threads (GC, libuv) ${per(d.otherUs)}; net of idle ${per(net)}`,
    );
  }
  lines.push(
    `  ${'all processes'.padEnd(30)} ${per(all).padStart(7)} µs/tx = ${(all / txs / verifyUs).toFixed(2)} x one P-256 verify (${verifyUs.toFixed(1)} µs on one core, this run); net of idle ${per(allNet)}`,
  );
  return lines;
}

/** µs of CPU one native P-256 verify of a 1 KiB message takes on this thread (no pool, no envelope parsing). */
export function singleCoreVerifyUs(): number {
  const provider = createCryptoProvider('native');
  const signer = provider.generateSigner('ecdsa-p256');
  const verifier = provider.verifier('ecdsa-p256');
  const messages = Array.from({ length: 16 }, (_, i) => new Uint8Array(1024).fill(i));
  const signatures = messages.map((m) => signer.sign(m));
  const rounds = 4000;
  for (let i = 0; i < 200; i++) verifier.verify(signer.publicKey, messages[i % 16]!, signatures[i % 16]!);
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    if (!verifier.verify(signer.publicKey, messages[i % 16]!, signatures[i % 16]!)) throw new Error('benchmark signature did not verify');
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / rounds;
}
