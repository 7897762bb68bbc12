// How the e2e tests run orderer processes: the way production does, plain
// node on dist/ (compiled once before the run by test/globalSetup.ts), with
// no transpiler to start in every process — under tsx each node or command
// spends ~1.5 s more CPU starting, which the e2e clusters pay dozens of times.
// The development way (the sources under tsx) keeps its own run: cli.e2e's
// `orderer cluster` supervisor.

import { ordererMainArgs, type OrdererRuntime } from '../../src/cli/dev/ordererRuntime.js';

export const E2E_RUNTIME: OrdererRuntime = 'compiled';

/** The node arguments that run `orderer <args>` as the e2e tests run it. */
export function ordererArgv(args: readonly string[]): string[] {
  return [...ordererMainArgs(E2E_RUNTIME), ...args];
}
