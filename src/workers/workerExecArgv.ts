// The node flags a pool worker starts with: the process's own, less the ones
// that load tsx. worker-entry.mjs registers tsx for its thread itself; a worker
// that also inherited `--import tsx` (or tsx's `--require .../preflight.cjs
// --import .../loader.mjs`) ran tsx's loader a second time, and in Node 20 each
// registration of module hooks in a thread starts a hooks thread with a V8 heap
// of its own: two extra threads and ~22 MB resident per two-worker orderer
// that did nothing after start. Resident memory and threads are what the kernel
// tears down after a kill -9 before the process's sockets close, so they delay
// the moment its peers see it gone (src/chain/CHAIN.md, Failover). Every other
// flag (--cpu-prof, --inspect-brk, --max-old-space-size, ...) is kept.

/** Flags that take the module to preload as their next argument (or after `=`). */
const PRELOAD_FLAGS: ReadonlySet<string> = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** A module specifier or path that names the tsx package (`tsx`, `tsx/esm`, `.../node_modules/tsx/dist/loader.mjs`). */
function isTsxModule(specifier: string): boolean {
  return /(^|[/\\])tsx([/\\]|$)/.test(specifier.replace(/^file:\/\//, ''));
}

/** `execArgv` without the preloads of tsx. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    if (PRELOAD_FLAGS.has(name)) {
      const value = eq === -1 ? execArgv[i + 1] : flag.slice(eq + 1);
      if (value !== undefined && isTsxModule(value)) {
        if (eq === -1) i++;
        continue;
      }
    }
    kept.push(flag);
  }
  return kept;
}
