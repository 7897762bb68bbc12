// `orderer cluster --nodes 3 [--dir D]`: a local cluster on loopback, each node
// its own `orderer start` process with its own data dir; keys generated on
// first use. Runs until SIGINT/SIGTERM, then stops every node (exit 0).

import path from 'node:path';
import { parseFlags, stringFlag } from './args.js';
import { CliUsageError } from './errors.js';
import { keygenFromFlags, KEYGEN_FLAGS } from './keygenCommand.js';
import { address, hasManifest, readManifest } from './dev/layout.js';
import { LocalCluster } from './dev/localCluster.js';

export const CLUSTER_USAGE = 'orderer cluster [--nodes 3] [--dir .data/cluster] [keygen flags for a new directory]';
export const DEFAULT_CLUSTER_DIR = '.data/cluster';
const START_TIMEOUT_MS = 60_000;

/** Generates keys in `dir` unless it already holds a cluster of `nodes` nodes. */
export function ensureCluster(dir: string, flags: Readonly<Record<string, string | boolean | undefined>>): void {
  if (!hasManifest(dir)) {
    keygenFromFlags(dir, flags);
    return;
  }
  const nodes = stringFlag(flags, 'nodes');
  const existing = readManifest(dir).nodes.length;
  if (nodes !== undefined && Number(nodes) !== existing) {
    throw new CliUsageError(`--nodes ${nodes}: ${dir} already holds a ${existing}-node cluster; pick another --dir or remove it`);
  }
}

export async function clusterCommand(argv: readonly string[]): Promise<number> {
  const flags = parseFlags('cluster', argv, { ...KEYGEN_FLAGS, dir: { type: 'string' } });
  if (flags['out'] !== undefined) throw new CliUsageError('orderer cluster: use --dir, not --out');
  const dir = path.resolve(stringFlag(flags, 'dir') ?? DEFAULT_CLUSTER_DIR);
  ensureCluster(dir, flags);
  const cluster = new LocalCluster(dir);
  const stop = stopSignal();
  cluster.startAll();
  try {
    await Promise.race([cluster.waitHealthy(START_TIMEOUT_MS), stop.promise]);
    if (!stop.requested) {
      process.stdout.write(`cluster of ${cluster.nodes.length} nodes running from ${dir} (channel ${cluster.manifest.channelId}); Ctrl-C stops it\n`);
      for (const node of cluster.nodes) {
        process.stdout.write(
          `  node ${node.id}: broadcast/deliver ${address(node, 'client')} (TLS), cluster ${address(node, 'cluster')}, operations http://${address(node, 'operations')}, log ${cluster.logFile(node.id)}\n`,
        );
      }
      await stop.promise;
    }
  } finally {
    const codes = await cluster.stopAll();
    process.stdout.write(`stopped: ${[...codes].map(([id, code]) => `node ${id} exit ${code}`).join(', ')}\n`);
  }
  return 0;
}

/**
 * SIGINT/SIGTERM as a promise. The handlers replace Node's default exit and stay
 * installed, so repeated signals cannot interrupt stopping the children.
 */
export function stopSignal(): { promise: Promise<void>; readonly requested: boolean } {
  let requested = false;
  const promise = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      requested = true;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return {
    promise,
    get requested() {
      return requested;
    },
  };
}
