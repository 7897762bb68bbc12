// One orderer node as a child process (`orderer start --config <file>`,
// compiled or under tsx: ordererRuntime.ts), for `orderer cluster`,
// `npm start`, the e2e tests and bench:cluster.
// The child's stdout/stderr go to a log file. The child is told to stop when
// our end of its stdin pipe closes, so a supervisor that dies (even by
// SIGKILL) leaves no orphan orderers behind.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CliRunError } from '../errors.js';
import { currentRuntime, ordererMainArgs, type OrdererRuntime } from './ordererRuntime.js';

/** Set in a child's environment: stop when stdin closes (the supervisor is gone). */
export const EXIT_WITH_PARENT_ENV = 'ORDERER_EXIT_WITH_PARENT';

export interface NodeProcessOptions {
  readonly id: number;
  /** Absolute path of the node config file. */
  readonly configFile: string;
  /** Absolute path of the log file (appended). */
  readonly logFile: string;
  /** Extra environment (e.g. LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
  /** Compiled JavaScript or the sources under tsx; default: as this process runs. */
  readonly runtime?: OrdererRuntime;
}

export class NodeProcess {
  readonly id: number;
  readonly runtime: OrdererRuntime;
  readonly #options: NodeProcessOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);

  constructor(options: NodeProcessOptions) {
    this.id = options.id;
    this.#options = options;
    this.runtime = options.runtime ?? currentRuntime();
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the node; it is ready when its listeners answer (see waitForHttp in clusterControl.ts). */
  start(): void {
    if (this.running) throw new CliRunError(`node ${this.id} is already running (pid ${this.pid})`);
    const main = ordererMainArgs(this.runtime);
    fs.mkdirSync(path.dirname(this.#options.logFile), { recursive: true });
    const log = fs.openSync(this.#options.logFile, 'a');
    try {
      const child = spawn(process.execPath, [...extraNodeFlags(), ...main, 'start', '--config', this.#options.configFile], {
        stdio: ['pipe', log, log],
        env: { ...process.env, ...this.#options.env, [EXIT_WITH_PARENT_ENV]: '1' },
      });
      this.#child = child;
      this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
      // A closed pipe on the child's side (it exited) must not crash the supervisor.
      child.stdin?.on('error', () => undefined);
    } finally {
      fs.closeSync(log);
    }
  }

  /** Sends `signal`; resolves with the exit code (null if killed by a signal) once the child is gone. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.running) this.#child!.kill(signal);
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.running) return this.#exited;
    this.#child!.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([this.#exited, forced]);
    clearTimeout(timer);
    if (outcome === 'timeout') return this.kill('SIGKILL');
    return outcome;
  }

  /** Resolves when the child exits (immediately if it is not running). */
  exited(): Promise<number | null> {
    return this.#exited;
  }
}

/**
 * Node flags for every spawned orderer, from ORDERER_NODE_FLAGS (space-separated), so a profile
 * of a local cluster needs no code change: `ORDERER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p"`.
 * NODE_OPTIONS cannot carry flags such as --cpu-prof or --perf-basic-prof.
 */
function extraNodeFlags(): string[] {
  return (process.env.ORDERER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
}
