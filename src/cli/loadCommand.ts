// `orderer load`: Broadcast pre-signed 1 KiB envelopes to one node of a local
// cluster (keygen directory) and report acknowledged tx/s.

import path from 'node:path';
import { Status } from '../block/index.js';
import { connectAtomicBroadcast } from '../client/index.js';
import { intFlag, parseFlags, stringFlag } from './args.js';
import { DEFAULT_CLUSTER_DIR } from './clusterCommand.js';
import { createEnvelopePool, ENVELOPE_POOL_MAX, loadClientCreator } from '../client/index.js';
import { address, clientMsp, clientTls, readManifest } from './dev/layout.js';
import { runLoad, type LoadReport } from '../client/index.js';

export const LOAD_USAGE = 'orderer load [--dir .data/cluster] [--node 1] [--duration-s 10] [--streams 4] [--window 64] [--pool 10000] [--envelope-bytes 1024]';

export async function loadCommand(argv: readonly string[]): Promise<number> {
  const flags = parseFlags('load', argv, {
    dir: { type: 'string' },
    node: { type: 'string' },
    'duration-s': { type: 'string' },
    streams: { type: 'string' },
    window: { type: 'string' },
    pool: { type: 'string' },
    'envelope-bytes': { type: 'string' },
  });
  const dir = path.resolve(stringFlag(flags, 'dir') ?? DEFAULT_CLUSTER_DIR);
  const manifest = readManifest(dir);
  const nodeId = intFlag(flags, 'node', 1, 1, manifest.nodes.length);
  const durationMs = intFlag(flags, 'duration-s', 10, 1, 3600) * 1000;
  const streams = intFlag(flags, 'streams', 4, 1, 256);
  const windowPerStream = intFlag(flags, 'window', 64, 1, 4096);
  const poolSize = intFlag(flags, 'pool', 10_000, 1, ENVELOPE_POOL_MAX);
  const envelopeBytes = intFlag(flags, 'envelope-bytes', 1024, 256, 1024 * 1024);
  const node = manifest.nodes.find((n) => n.id === nodeId)!;

  process.stdout.write(`signing ${poolSize} envelopes of ~${envelopeBytes} bytes...\n`);
  const creator = loadClientCreator(clientMsp(dir, manifest));
  const envelopes = createEnvelopePool({ channelId: manifest.channelId, creator, count: poolSize, envelopeBytes });
  const client = connectAtomicBroadcast(address(node, 'client'), clientTls(dir, manifest));
  try {
    process.stdout.write(`broadcasting to node ${nodeId} (${address(node, 'client')}) for ${durationMs / 1000} s over ${streams} streams\n`);
    let last = { succeeded: 0, elapsedMs: 0 };
    const report = await runLoad({
      client,
      envelopes,
      streams,
      windowPerStream,
      durationMs,
      once: false,
      onTick: (now) => {
        const rate = ((now.succeeded - last.succeeded) * 1000) / Math.max(1, now.elapsedMs - last.elapsedMs);
        process.stdout.write(`  ${(now.elapsedMs / 1000).toFixed(0)} s: ${rate.toFixed(0)} tx/s acknowledged, ${now.succeeded} total\n`);
        last = now;
      },
    });
    process.stdout.write(formatLoadReport(report));
    return report.succeeded > 0 ? 0 : 1;
  } finally {
    client.close();
  }
}

export function formatLoadReport(report: LoadReport): string {
  const refused = Object.entries(report.refused)
    .map(([what, n]) => `${what} ${n}`)
    .join(', ');
  return (
    `sent ${report.sent}, ${Status[Status.SUCCESS]} ${report.succeeded}${refused ? `, ${refused}` : ''} in ${(report.elapsedMs / 1000).toFixed(1)} s: ` +
    `${report.acknowledgedTxPerSec.toFixed(0)} tx/s acknowledged\n`
  );
}
