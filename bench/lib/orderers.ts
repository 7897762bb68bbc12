// What a bench's orderer processes run, from its `--orderers compiled|tsx`
// flag: compiled JavaScript by default, as in production (the bench builds
// dist/ first, so it never runs a stale build), or the sources under tsx.
// The answer goes into the bench's header line.

import { choiceFlag, ORDERER_RUNTIMES, type OrdererRuntime } from '../../src/cli/index.js';
import { compileDist } from '../../scripts/build/compile.js';

type Flags = Parameters<typeof choiceFlag>[0];

/** The flag's spec, for parseFlags. */
export const ORDERERS_FLAG = { orderers: { type: 'string' } } as const;

export interface Orderers {
  readonly runtime: OrdererRuntime;
  /** For the header line: "orderers: compiled JS (dist built in 1.7 s)" or "orderers: tsx". */
  readonly description: string;
}

export async function prepareOrderers(flags: Flags): Promise<Orderers> {
  const runtime = choiceFlag(flags, 'orderers', ORDERER_RUNTIMES, 'compiled');
  if (runtime === 'tsx') return { runtime, description: 'orderers: tsx (TypeScript sources)' };
  const built = await compileDist();
  return { runtime, description: `orderers: compiled JS (dist built in ${(built.ms / 1000).toFixed(1)} s)` };
}
