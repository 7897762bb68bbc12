#!/usr/bin/env node
// The `orderer` command: `npm run orderer -- <subcommand> [flags]` from sources (tsx),
// `node dist/src/cli/main.js <subcommand>` (or the `orderer` bin) compiled (`npm run build`).
// Exit codes: 0 done, 1 the command failed (message names what), 2 bad usage.

import { OrdererError } from '../errors.js';
import { CliUsageError } from './errors.js';

type Run = (argv: readonly string[]) => number | Promise<number>;

// Each command's module is imported when it runs: a node started with
// `orderer start` does not load the bench, keygen, load or channel tooling
// (and the charting libraries behind the bench), which cost seconds of
// start-up through tsx on a loaded machine.
const COMMANDS: Readonly<Record<string, { load: () => Promise<{ run: Run; usage: string }> }>> = {
  start: { load: async () => import('./startCommand.js').then((m) => ({ run: m.startCommand, usage: m.START_USAGE })) },
  keygen: {
    load: async () => {
      const [keygen, reissue] = await Promise.all([import('./keygenCommand.js'), import('./tlsReissueCommand.js')]);
      return {
        run: (argv) => (argv[0] === 'reissue-tls' ? reissue.reissueTlsCommand(argv.slice(1)) : keygen.keygenCommand(argv)),
        usage: `${keygen.KEYGEN_USAGE}\n  ${reissue.REISSUE_TLS_USAGE}`,
      };
    },
  },
  cluster: { load: async () => import('./clusterCommand.js').then((m) => ({ run: m.clusterCommand, usage: m.CLUSTER_USAGE })) },
  load: { load: async () => import('./loadCommand.js').then((m) => ({ run: m.loadCommand, usage: m.LOAD_USAGE })) },
  bench: { load: async () => import('./benchCommand.js').then((m) => ({ run: m.benchCommand, usage: m.BENCH_USAGE })) },
  channel: { load: async () => import('./channelCommand.js').then((m) => ({ run: (argv) => m.channelCommand(argv), usage: m.CHANNEL_USAGE })) },
  genesis: { load: async () => import('./genesisCommand.js').then((m) => ({ run: (argv) => m.genesisCommand(argv), usage: m.GENESIS_USAGE })) },
};

export async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((c) => c.load()));
  return `usage:\n${commands.map((c) => `  ${c.usage}`).join('\n')}\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    process.stdout.write(await usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new CliUsageError(`unknown subcommand "${name}"`);
    return await (await command.load()).run(rest);
  } catch (error) {
    if (error instanceof CliUsageError || (error instanceof OrdererError && error.code === 'CLIENT_USAGE')) {
      process.stderr.write(`orderer: ${error.message}\n${await usage()}`);
      return 2;
    }
    if (error instanceof OrdererError) {
      process.stderr.write(`orderer ${name}: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

const exitCode = await main(process.argv.slice(2));
// Explicit exit: gRPC channels and timers of a finished command must not keep the process alive.
process.exit(exitCode);
