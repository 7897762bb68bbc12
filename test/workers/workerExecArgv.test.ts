// A pool worker registers tsx itself (worker-entry.mjs): the node flags it
// inherits must not load tsx a second time (each load starts a module-hooks
// thread with its own heap), and must keep every other flag.

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { fillPoolOptions } from '../../src/workers/index.js';
import { piscinaOptionsOf } from '../../src/workers/pool.js';
import { workerExecArgv } from '../../src/workers/workerExecArgv.js';

describe('workerExecArgv', () => {
  it('drops `--import tsx`, the way `node --import tsx` starts an orderer', () => {
    expect(workerExecArgv(['--import', 'tsx'])).toEqual([]);
    expect(workerExecArgv(['--import=tsx'])).toEqual([]);
  });

  it("drops the tsx CLI's preflight require and loader import, as paths and file URLs", () => {
    const argv = ['--require', '/repo/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///repo/node_modules/tsx/dist/loader.mjs'];
    expect(workerExecArgv(argv)).toEqual([]);
    expect(workerExecArgv(['-r', 'C:\\repo\\node_modules\\tsx\\dist\\preflight.cjs', '--loader=tsx/esm'])).toEqual([]);
  });

  it("keeps every other of Node's own flags, in order, with its value", () => {
    const argv = ['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--import', './instrument.mjs', '--heap-prof-dir', 'profiles', '--require=dotenv/config'];
    expect(workerExecArgv(argv)).toEqual(argv);
  });

  it("drops V8's flags, with a value given apart: they act on the whole process and a worker refuses them", () => {
    const argv = [
      '--perf-basic-prof',
      '--cpu-prof',
      '--max-old-space-size',
      '512',
      '--expose_gc',
      '--trace-gc',
      '--stack-size=2000',
      '--heap-growing-percent=300',
      '--initial-heap-size',
      '64',
      '--gc-interval=100',
      '--semi-space-growth-factor=2',
      '--enable-source-maps',
    ];
    expect(workerExecArgv(argv)).toEqual(['--cpu-prof', '--enable-source-maps']);
  });

  it('gives flags a worker thread starts with', async () => {
    const execArgv = workerExecArgv([
      '--perf-basic-prof',
      '--max-old-space-size=512',
      '--jitless',
      '--heap-growing-percent=0',
      '--conditions',
      'orderer',
      '--enable-source-maps',
    ]);
    const worker = new Worker('', { eval: true, execArgv });
    const code = await new Promise<number>((resolve, reject) => worker.once('error', reject).once('exit', resolve));
    expect(code).toBe(0);
  });

  it('keeps a preload whose name only contains the letters tsx', () => {
    const argv = ['--import', './setup-tsx.mjs', '--require', 'tsxtra/hook.cjs'];
    expect(workerExecArgv(argv)).toEqual(argv);
  });

  it('keeps a trailing preload flag that has no value', () => {
    expect(workerExecArgv(['--enable-source-maps', '--import'])).toEqual(['--enable-source-maps', '--import']);
  });
});

describe('the pool', () => {
  it('starts its workers without the tsx preloads of the process it runs in, with its other flags', () => {
    const argv = ['--require', '/repo/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///repo/node_modules/tsx/dist/loader.mjs', '--cpu-prof'];
    expect(piscinaOptionsOf(fillPoolOptions({ maxThreads: 1 }), argv).execArgv).toEqual(['--cpu-prof']);
  });
});
