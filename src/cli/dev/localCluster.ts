// A local cluster made by `orderer keygen`: one child process per node, each
// with its own config, data dir and log file. Start, stop, kill -9 and
// restart single nodes; find the leader; wait for health. Shared by
// `orderer cluster`, `npm start`, the e2e tests and bench:cluster.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliRunError } from '../errors.js';
import { address, readManifest, type ClusterManifest, type ManifestNode } from './layout.js';
import { NodeProcess } from './nodeProcess.js';
import { currentRuntime, type OrdererRuntime } from './ordererRuntime.js';
import { channelView, isHealthy, isListening } from '../../client/index.js';

const POLL_MS = 100;

export interface LocalClusterOptions {
  /** Extra environment of every node (e.g. LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
  /** What the node processes run: compiled JavaScript or the sources under tsx; default: as this process runs. */
  readonly runtime?: OrdererRuntime;
}

export class LocalCluster {
  readonly dir: string;
  readonly manifest: ClusterManifest;
  /** What the node processes run. */
  readonly runtime: OrdererRuntime;
  readonly #processes = new Map<number, NodeProcess>();

  constructor(dir: string, options: LocalClusterOptions = {}) {
    this.dir = path.resolve(dir);
    this.runtime = options.runtime ?? currentRuntime();
    this.manifest = readManifest(this.dir);
    for (const node of this.manifest.nodes) {
      this.#processes.set(
        node.id,
        new NodeProcess({
          id: node.id,
          configFile: path.join(this.dir, node.configFile),
          logFile: path.join(this.dir, path.dirname(node.configFile), 'orderer.log'),
          ...(options.env && { env: options.env }),
          runtime: this.runtime,
        }),
      );
    }
  }

  get nodes(): readonly ManifestNode[] {
    return this.manifest.nodes;
  }

  node(id: number): ManifestNode {
    const node = this.manifest.nodes.find((n) => n.id === id);
    if (node === undefined) throw new CliRunError(`no node ${id} in ${this.dir}`);
    return node;
  }

  process(id: number): NodeProcess {
    const child = this.#processes.get(id);
    if (child === undefined) throw new CliRunError(`no node ${id} in ${this.dir}`);
    return child;
  }

  logFile(id: number): string {
    return path.join(this.dir, path.dirname(this.node(id).configFile), 'orderer.log');
  }

  startAll(): void {
    for (const child of this.#processes.values()) if (!child.running) child.start();
  }

  /**
   * Waits until every started node's /healthz is 200 (each channel has a
   * leader). Fails at once if a started node exited (its log says why).
   */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const started = this.nodes.filter((n) => this.process(n.id).running);
    if (started.length === 0) throw new CliRunError('waitHealthy: no node is running');
    await this.#until(timeoutMs, 'every node healthy', async () => {
      const exited = started.find((n) => !this.process(n.id).running);
      if (exited !== undefined) throw this.#exitedDuringStartUp(exited.id);
      const healthy = await Promise.all(started.map((n) => isHealthy(address(n, 'operations'))));
      return healthy.every(Boolean);
    });
  }

  /** Waits until node `id` answers on its operations listener (start-up finished); fails if it exits. */
  async waitListening(id: number, timeoutMs: number): Promise<void> {
    await this.#until(timeoutMs, `node ${id} listening`, async () => {
      if (!this.process(id).running) throw this.#exitedDuringStartUp(id);
      return isListening(address(this.node(id), 'operations'));
    });
  }

  /** The id of the one running node that says it leads the channel, or undefined. */
  async leader(): Promise<number | undefined> {
    const running = this.nodes.filter((n) => this.process(n.id).running);
    const views = await Promise.all(running.map((n) => channelView(address(n, 'operations'), this.manifest.channelId)));
    const leaders = running.filter((_, i) => views[i]?.isLeader === true);
    return leaders.length === 1 ? leaders[0]!.id : undefined;
  }

  /** Waits for a leader other than `except` (if given); resolves with its id. */
  async waitLeader(timeoutMs: number, except?: number): Promise<number> {
    let found: number | undefined;
    await this.#until(timeoutMs, except === undefined ? 'a leader' : `a leader other than node ${except}`, async () => {
      found = await this.leader();
      return found !== undefined && found !== except;
    });
    return found!;
  }

  /** Committed block number per node, in node order (undefined for a node that is down or does not answer). */
  async committedBlockNumbers(): Promise<Map<number, number | undefined>> {
    const views = await Promise.all(
      this.nodes.map((n) => (this.process(n.id).running ? channelView(address(n, 'operations'), this.manifest.channelId) : undefined)),
    );
    return new Map(this.nodes.map((n, i) => [n.id, views[i]?.committedBlockNumber]));
  }

  /** SIGTERM to every node (SIGKILL after graceMs); resolves with the exit codes. */
  async stopAll(graceMs = 15_000): Promise<Map<number, number | null>> {
    const codes = new Map<number, number | null>();
    await Promise.all([...this.#processes.values()].map(async (p) => codes.set(p.id, await p.stop(graceMs))));
    return codes;
  }

  /** The error for a node that died starting: its log's last error line (or last line) says why, even once its directory is gone. */
  #exitedDuringStartUp(id: number): CliRunError {
    const file = this.logFile(id);
    const why = lastErrorLine(file);
    return new CliRunError(`node ${id} exited during start-up; see ${file}${why === undefined ? '' : `; its last words: ${why}`}`);
  }

  async #until(timeoutMs: number, what: string, condition: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (await condition()) return;
      if (performance.now() >= deadline) throw new CliRunError(`timed out after ${timeoutMs} ms waiting for ${what} (logs: ${this.dir}/nodes/*/orderer.log)`);
      await sleep(POLL_MS);
    }
  }
}

/** The last line of a node's log at level error or fatal (pino: 50, 60), else its last line naming an error (an uncaught one's stack), else its last line; at most 600 characters. */
function lastErrorLine(file: string): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const tail = Buffer.alloc(Math.min(size, 16_384));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      text = tail.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const newestFirst = lines.reverse();
  const line = newestFirst.find((l) => /"level":(50|60)\b/.test(l)) ?? newestFirst.find((l) => /error/i.test(l)) ?? newestFirst[0];
  return line?.slice(0, 600);
}
