// The harness's signing processes (signProcess.ts): a few child processes,
// each signing one batch at a time, a batch going to the one with the fewest
// waiting. Their CPU is theirs alone (every thread of theirs, GC included),
// read by pid (procStat.ts).

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SignRequest } from './signProcess.js';
import type { SignedBatch } from './signing.js';

/** How long a signing process gets to exit once its channel is given up, before it is killed. */
const DISCONNECT_GRACE_MS = 2_000;

/** Compiled (this file is dist's signerPool.js), the compiled signProcess.js beside it; from the sources, the tsx shim. */
const ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? './signProcess.js' : './sign-process-entry.mjs', import.meta.url));

type Answer = { batch: SignedBatch } | { error: string };

interface Signer {
  readonly child: ChildProcess;
  readonly waiting: { resolve: (batch: SignedBatch) => void; reject: (error: Error) => void }[];
  exited: Error | undefined;
}

export class SignerPool {
  readonly #signers: Signer[];
  #closed = false;

  constructor(processes: number) {
    this.#signers = Array.from({ length: processes }, () => this.#start());
  }

  /** The signing processes' ids, for reading their CPU. */
  get pids(): number[] {
    return this.#signers.flatMap((s) => (s.child.pid === undefined || s.exited !== undefined ? [] : [s.child.pid]));
  }

  sign(request: SignRequest): Promise<SignedBatch> {
    if (this.#closed) return Promise.reject(new Error('the signing processes are closed'));
    const live = this.#signers.filter((s) => s.exited === undefined);
    if (live.length === 0) return Promise.reject(this.#signers[0]!.exited!);
    const signer = live.reduce((a, b) => (b.waiting.length < a.waiting.length ? b : a));
    return new Promise((resolve, reject) => {
      signer.waiting.push({ resolve, reject });
      signer.child.send(request);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#signers.map(async (s) => {
        if (s.exited !== undefined) return;
        const exited = new Promise((resolve) => s.child.once('exit', resolve));
        s.child.disconnect();
        // Node closes the channel only once a message it is reading completes, and a batch the process
        // was sending when the channel was given up may never be completed: the process would wait for
        // more to sign, and this close for its exit, for good. It signs nothing anyone waits for now.
        const timer = setTimeout(() => s.child.kill('SIGKILL'), DISCONNECT_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #start(): Signer {
    // No inherited node flags (a test runner's, --cpu-prof): the entry registers what it needs itself.
    const child = fork(ENTRY, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const signer: Signer = { child, waiting: [], exited: undefined };
    child.on('message', (answer: Answer) => {
      const waiter = signer.waiting.shift();
      if (waiter === undefined) return;
      if ('batch' in answer) waiter.resolve(answer.batch);
      else waiter.reject(new Error(answer.error));
    });
    const fail = (error: Error): void => {
      if (signer.exited !== undefined) return;
      signer.exited = error;
      for (const waiter of signer.waiting.splice(0)) waiter.reject(error);
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`a signing process ended (${signal ?? `exit code ${code}`})`)));
    return signer;
  }
}
