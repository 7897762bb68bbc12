// The `orderer` command: `npm run orderer -- <subcommand> [flags]`.
// Exit codes: 0 done, 1 the command failed (message names what), 2 bad usage.

import { OrdererError } from '../errors.js';
import { benchCommand, BENCH_USAGE } from './benchCommand.js';
import { clusterCommand, CLUSTER_USAGE } from './clusterCommand.js';
import { channelCommand, CHANNEL_USAGE } from './channelCommand.js';
import { ClientUsageError } from '../client/index.js';
import { CliUsageError } from './errors.js';
import { genesisCommand, GENESIS_USAGE } from './genesisCommand.js';
import { keygenCommand, KEYGEN_USAGE } from './keygenCommand.js';
import { loadCommand, LOAD_USAGE } from './loadCommand.js';
import { startCommand, START_USAGE } from './startCommand.js';
import { reissueTlsCommand, REISSUE_TLS_USAGE } from './tlsReissueCommand.js';

const COMMANDS: Readonly<Record<string, { run: (argv: readonly string[]) => number | Promise<number>; usage: string }>> = {
  start: { run: startCommand, usage: START_USAGE },
  keygen: {
    run: (argv) => (argv[0] === 'reissue-tls' ? reissueTlsCommand(argv.slice(1)) : keygenCommand(argv)),
    usage: `${KEYGEN_USAGE}\n  ${REISSUE_TLS_USAGE}`,
  },
  cluster: { run: clusterCommand, usage: CLUSTER_USAGE },
  load: { run: loadCommand, usage: LOAD_USAGE },
  bench: { run: benchCommand, usage: BENCH_USAGE },
  channel: { run: (argv) => channelCommand(argv), usage: CHANNEL_USAGE },
  genesis: { run: (argv) => genesisCommand(argv), usage: GENESIS_USAGE },
};

export function usage(): string {
  return `usage:\n${Object.values(COMMANDS)
    .map((c) => `  ${c.usage}`)
    .join('\n')}\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new CliUsageError(`unknown subcommand "${name}"`);
    return await command.run(rest);
  } catch (error) {
    if (error instanceof CliUsageError || error instanceof ClientUsageError) {
      process.stderr.write(`orderer: ${error.message}\n${usage()}`);
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
