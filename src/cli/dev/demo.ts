// `npm start`: the local cluster (3 nodes, or --nodes 5 for Fabric's classic
// failover demo; keys and data under .data/, made on first run), a steady
// open-loop stream of signed transactions to the leader through the load
// harness (src/client/bench), and the live view: committed tx/s, blocks/s,
// leader, heights, latency percentiles. On a terminal, keys inject faults
// into the leader (kill -9, pause) and restart what is down, so the
// unavailability window, the new leader and the latencies' recovery show
// live. Ctrl-C (or SIGTERM) stops the load and every node; no orderer
// process outlives it (children also stop when our stdin pipe to them
// closes, see nodeProcess.ts).

import path from 'node:path';
import { EnvelopeSupply, runBench, type SecondSample } from '../../client/index.js';
import { intFlag, parseFlags, stringFlag } from '../args.js';
import { ensureCluster, stopSignal } from '../clusterCommand.js';
import { clusterTarget } from './benchLocalTarget.js';
import { LinePainter, renderSample } from './liveView.js';
import { LocalCluster } from './localCluster.js';
import { currentRuntime, type OrdererRuntime } from './ordererRuntime.js';

export const DEMO_USAGE = 'npm start -- [--dir .data/demo] [--nodes 3] [--rate 1000] [--base-port 7050]';

const YEAR_S = 365 * 24 * 3600;

export interface DemoOptions {
  /** What the node processes run; default: as this process runs. */
  readonly runtime?: OrdererRuntime;
}

export async function demo(argv: readonly string[], options: DemoOptions = {}): Promise<number> {
  const flags = parseFlags('demo', argv, { dir: { type: 'string' }, nodes: { type: 'string' }, rate: { type: 'string' }, 'base-port': { type: 'string' } });
  const dir = path.resolve(stringFlag(flags, 'dir') ?? '.data/demo');
  const rate = intFlag(flags, 'rate', 1000, 1, 1_000_000);
  const nodes = intFlag(flags, 'nodes', 3, 1, 9);
  const stop = stopSignal();
  process.stdout.write(`local ${nodes}-node cluster in ${dir} (keys made on first run), orderers: ${options.runtime ?? currentRuntime()}\n`);
  ensureCluster(dir, { nodes: String(nodes), 'batch-timeout-ms': '500', ...(flags['base-port'] !== undefined && { 'base-port': flags['base-port'] }) });
  const cluster = new LocalCluster(dir, options);
  const target = clusterTarget(cluster, { envelopeBytes: 1024, description: `local cluster in ${dir}` });
  const supply = new EnvelopeSupply(target.signer);
  const aborter = new AbortController();
  void stop.promise.then(() => aborter.abort());
  const keys = new FaultKeys(cluster);
  cluster.startAll();
  try {
    process.stdout.write('starting nodes...\n');
    await Promise.race([cluster.waitHealthy(120_000), stop.promise]);
    if (stop.requested) return 0;
    process.stdout.write('signing envelopes ahead (1 KiB, unique tx ids; more are signed as the run goes)...\n');
    await Promise.race([supply.prepare(Math.min(rate * 5, 50_000)), stop.promise]);
    if (stop.requested) return 0;
    process.stdout.write(`submitting ~${rate} tx/s to the leader; logs in ${dir}/nodes/*/orderer.log; ${keys.help}Ctrl-C stops everything\n\n`);
    keys.listen(() => aborter.abort());
    const painter = new LinePainter();
    const outage = new OutageWatch();
    let acknowledged = 0;
    let refused = 0;
    await runBench({
      target,
      schedule: { phases: [{ kind: 'rate', name: 'live', durationS: YEAR_S, rate, toRate: rate }], faults: [] },
      role: 'leader',
      streamsPerNode: 2,
      maxOutstanding: Math.max(1000, rate * 10),
      supply,
      refill: true,
      signal: aborter.signal,
      onSample: (s) => {
        acknowledged += s.acknowledged;
        refused += Object.values(s.refused).reduce((a, b) => a + b, 0);
        painter.paint([...renderSample(liveSample(s, acknowledged, refused)), latencyLine(s, outage), keys.status()]);
      },
    });
    return 0;
  } finally {
    aborter.abort();
    keys.close();
    await supply.close();
    await target.close();
    process.stdout.write('\nstopping nodes...\n');
    for (const node of cluster.nodes) keys.resume(node.id);
    const codes = await cluster.stopAll();
    process.stdout.write(`stopped: ${[...codes].map(([id, code]) => `node ${id} exit ${code}`).join(', ')}\n`);
  }
}

function liveSample(s: SecondSample, acknowledged: number, refused: number) {
  return {
    elapsedS: s.t,
    txPerSec: s.committedOwn / s.intervalS,
    blocksPerSec: s.blocks / s.intervalS,
    leader: s.nodes.find((n) => n.isLeader === true)?.id,
    heights: new Map(s.nodes.map((n) => [n.id, n.height])),
    acknowledged,
    refused,
  };
}

/** The time since the last committed block while blocks stop coming, and the longest such window so far (from the first block on). */
class OutageWatch {
  #seenBlock = false;
  #quietS = 0;
  #longestS = 0;

  update(s: SecondSample): string {
    if (s.blocks > 0) {
      this.#seenBlock = true;
      this.#quietS = 0;
    } else if (this.#seenBlock) {
      this.#quietS += s.intervalS;
      this.#longestS = Math.max(this.#longestS, this.#quietS);
    }
    if (this.#quietS >= 1) return `  NO COMMIT for ${this.#quietS.toFixed(0)} s`;
    return this.#longestS < 1 ? '' : `  longest window without commits ~${this.#longestS.toFixed(0)} s`;
  }
}

function latencyLine(s: SecondSample, outage: OutageWatch): string {
  const ms = (v: number | null): string => (v === null ? '—' : v.toFixed(0));
  return `        latency ms (from intended send): ack p50 ${ms(s.ack.p50)} p99 ${ms(s.ack.p99)}  commit p50 ${ms(s.commit.p50)} p99 ${ms(s.commit.p99)}${outage.update(s)}`;
}

/** Keys of the live view on a terminal: k kill -9 the leader, p pause (SIGSTOP) it, r restart or resume every node that is down, q quit. */
class FaultKeys {
  readonly #cluster: LocalCluster;
  readonly #paused = new Set<number>();
  #last = '';
  #onData: ((key: Buffer) => void) | undefined;

  constructor(cluster: LocalCluster) {
    this.#cluster = cluster;
  }

  get help(): string {
    return process.stdin.isTTY ? 'keys: k = kill -9 the leader, p = pause it (SIGSTOP), r = restart/resume what is down, q = quit; ' : '';
  }

  listen(quit: () => void): void {
    if (!process.stdin.isTTY) return;
    process.stdin.setRawMode(true);
    process.stdin.resume();
    this.#onData = (key) => void this.#key(key.toString(), quit);
    process.stdin.on('data', this.#onData);
  }

  status(): string {
    return this.#last === '' ? '' : `        ${this.#last}`;
  }

  resume(id: number): void {
    const pid = this.#cluster.process(id).pid;
    if (this.#paused.delete(id) && pid !== undefined) process.kill(pid, 'SIGCONT');
  }

  close(): void {
    if (this.#onData === undefined) return;
    process.stdin.off('data', this.#onData);
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }

  async #key(key: string, quit: () => void): Promise<void> {
    if (key === 'q' || key === '\u0003') return quit();
    if (key === 'r') {
      for (const node of this.#cluster.nodes) {
        this.resume(node.id);
        if (!this.#cluster.process(node.id).running) this.#cluster.process(node.id).start();
      }
      this.#last = 'restarted/resumed every node that was down';
      return;
    }
    if (key !== 'k' && key !== 'p') return;
    const leader = await this.#cluster.leader();
    if (leader === undefined) {
      this.#last = 'no leader right now';
      return;
    }
    const child = this.#cluster.process(leader);
    if (key === 'k') {
      void child.kill('SIGKILL');
      this.#last = `kill -9 node ${leader} (the leader) at ${new Date().toISOString().slice(11, 19)}`;
    } else if (child.pid !== undefined) {
      process.kill(child.pid, 'SIGSTOP');
      this.#paused.add(leader);
      this.#last = `paused node ${leader} (the leader) at ${new Date().toISOString().slice(11, 19)}; r resumes it`;
    }
  }
}
