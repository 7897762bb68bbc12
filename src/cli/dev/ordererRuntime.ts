// What a spawned orderer process runs: the compiled JavaScript of
// `npm run build` (dist/src/cli/main.js, plain node, no transpiler in the
// process: fewer threads and V8 heaps, ~70 MB less resident, which a kill -9
// must tear down before the dead node's sockets close) or the TypeScript
// sources through tsx (the development way: no build step, what the tests run).
// Code that itself runs compiled can only spawn the compiled main beside it.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliRunError } from '../errors.js';

export type OrdererRuntime = 'compiled' | 'tsx';

export const ORDERER_RUNTIMES: readonly OrdererRuntime[] = ['compiled', 'tsx'];

/** True when this file is dist's compiled JavaScript rather than the TypeScript source. */
const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/** Where `npm run build` puts the compiled main, seen from this source file (src/cli/dev/). */
const DIST_MAIN = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url));

/** The runtime of the process we are in: spawned orderers run the same way unless told otherwise. */
export function currentRuntime(): OrdererRuntime {
  return RUNNING_COMPILED ? 'compiled' : 'tsx';
}

/** The node arguments (before the orderer's own) that run the orderer's main under `runtime`. */
export function ordererMainArgs(runtime: OrdererRuntime): string[] {
  if (RUNNING_COMPILED) {
    if (runtime === 'tsx') throw new CliRunError('orderers under tsx need the TypeScript sources: this orderer runs compiled (dist/)');
    return [fileURLToPath(new URL('../main.js', import.meta.url))];
  }
  if (runtime === 'tsx') return ['--import', 'tsx', fileURLToPath(new URL('../main.ts', import.meta.url))];
  if (!fs.existsSync(DIST_MAIN)) throw new CliRunError(`the compiled orderer ${DIST_MAIN} is missing: run \`npm run build\` first`);
  return [DIST_MAIN];
}
