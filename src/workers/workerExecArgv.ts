// The node flags a pool worker starts with: the process's own, less the ones
// that load tsx. worker-entry.mjs registers tsx for its thread itself; a worker
// that also inherited `--import tsx` (or tsx's `--require .../preflight.cjs
// --import .../loader.mjs`) ran tsx's loader a second time, and in Node 20 each
// registration of module hooks in a thread starts a hooks thread with a V8 heap
// of its own: two extra threads and ~22 MB resident per two-worker orderer
// that did nothing after start. Resident memory and threads are what the kernel
// tears down after a kill -9 before the process's sockets close, so they delay
// the moment its peers see it gone (src/chain/CHAIN.md, Failover).
//
// V8's own flags (--perf-basic-prof, --max-old-space-size, --expose-gc, ...)
// are dropped too: they act on the whole process, worker threads included, and
// Node refuses to start a worker given one (ERR_WORKER_INVALID_EXEC_ARGV), so an
// orderer started with `--perf-basic-prof` for perf died at start. Node's own
// flags (--cpu-prof, --inspect-brk, --heap-prof, ...) are kept.

/** Flags that take the module to preload as their next argument (or after `=`). */
const PRELOAD_FLAGS: ReadonlySet<string> = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** A module specifier or path that names the tsx package (`tsx`, `tsx/esm`, `.../node_modules/tsx/dist/loader.mjs`). */
function isTsxModule(specifier: string): boolean {
  return /(^|[/\\])tsx([/\\]|$)/.test(specifier.replace(/^file:\/\//, ''));
}

/**
 * The V8 flags Node lets through NODE_OPTIONS (Node's documented list): they sit
 * in process.allowedNodeEnvironmentFlags beside Node's own, but a worker refuses
 * them as any V8 flag.
 */
const V8_FLAGS_NODE_OPTIONS_ALLOWS: ReadonlySet<string> = new Set([
  '--abort-on-uncaught-exception',
  '--disallow-code-generation-from-strings',
  '--enable-etw-stack-walking',
  '--expose-gc',
  '--huge-max-old-generation-size',
  '--interpreted-frames-native-stack',
  '--jitless',
  '--max-old-space-size',
  '--max-semi-space-size',
  '--perf-basic-prof',
  '--perf-basic-prof-only-functions',
  '--perf-prof',
  '--perf-prof-unwinding-info',
  '--stack-trace-limit',
]);

/**
 * V8 flags outside that list, by the prefixes of the ones used to profile and
 * to tune the heap and its GC (e.g. an operator's --heap-growing-percent, which
 * `orderer start` otherwise sets itself: src/cli/heapGrowth.ts). Node's own
 * --trace-warnings, --max-http-header-size, --heap-prof, ... are told apart by
 * being in process.allowedNodeEnvironmentFlags.
 */
const V8_FLAG_PATTERN =
  /^--(no-)?(perf[-_]|trace[-_]|max[-_]|min[-_]|stack[-_]size|expose[-_]gc|allow[-_]natives|jitless|single[-_]threaded|predictable|prof$|opt$|turbo|sparkplug|maglev|interpreted[-_]frames|heap[-_]growing|initial[-_]heap|gc[-_]|semi[-_]space|optimize[-_]for[-_]size)/;

/** A flag V8 reads (process-wide, refused in a worker), as opposed to one of Node's own. */
function isV8Flag(name: string): boolean {
  if (V8_FLAGS_NODE_OPTIONS_ALLOWS.has(name.replaceAll('_', '-'))) return true;
  return !process.allowedNodeEnvironmentFlags.has(name) && V8_FLAG_PATTERN.test(name);
}

/** `execArgv` without the preloads of tsx and without V8's flags (each flag with the value that follows it). */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  let keepingValue = false;
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    // In execArgv only a flag's value given apart does not start with '-': it goes where its flag went.
    if (!flag.startsWith('-')) {
      if (keepingValue) kept.push(flag);
      continue;
    }
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    keepingValue = false;
    if (isV8Flag(name)) continue;
    if (PRELOAD_FLAGS.has(name)) {
      const value = eq === -1 ? execArgv[i + 1] : flag.slice(eq + 1);
      if (value !== undefined && isTsxModule(value)) {
        if (eq === -1) i++;
        continue;
      }
    }
    kept.push(flag);
    keepingValue = eq === -1;
  }
  return kept;
}
