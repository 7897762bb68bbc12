// `orderer start --config <file>`: one node in this process until SIGTERM or
// SIGINT (or, under a supervisor, until its stdin closes), then a clean stop:
// servers closed, chains closed, storage flushed; exit 0.

import { pino } from 'pino';
import { loadNodeConfig } from '../config/index.js';
import { parseFlags, requiredStringFlag } from './args.js';
import { nodeOptionsFromConfig } from '../node/index.js';
import { EXIT_WITH_PARENT_ENV } from './dev/nodeProcess.js';
import { OrdererNode } from '../node/index.js';
import { tuneHeapGrowth } from './heapGrowth.js';

export const START_USAGE = 'orderer start --config <node config file>';

export async function startCommand(argv: readonly string[]): Promise<number> {
  const flags = parseFlags('start', argv, { config: { type: 'string' } });
  const config = loadNodeConfig(requiredStringFlag(flags, 'config'));
  const logger = pino({ level: config.logLevel });
  // Before any load: block-sized buffers otherwise make V8 mark a small heap about once a second (heapGrowth.ts).
  const heapFlag = tuneHeapGrowth();
  if (heapFlag !== undefined) logger.debug({ flag: heapFlag }, 'V8 heap growth set');
  const node = await OrdererNode.start(nodeOptionsFromConfig(config, logger));
  const reason = await stopRequested();
  logger.info({ node: config.id, reason }, 'stopping');
  await node.stop();
  return 0;
}

/**
 * Resolves with what asked the node to stop. The handlers stay installed: a
 * second signal (Ctrl-C reaches the whole process group, then the supervisor
 * sends SIGTERM too) must not kill the node in the middle of its clean stop.
 */
function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    process.on('SIGTERM', () => resolve('SIGTERM'));
    process.on('SIGINT', () => resolve('SIGINT'));
    if (process.env[EXIT_WITH_PARENT_ENV] === '1') {
      // The supervisor holds our stdin; it closes when the supervisor is gone, however it died.
      process.stdin.on('data', () => undefined);
      process.stdin.once('end', () => resolve('supervisor gone (stdin closed)'));
      process.stdin.resume();
    }
  });
}
