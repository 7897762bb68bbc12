// `orderer load`: Broadcast 1 KiB envelopes, every tx id unique, to one node
// of a local cluster (keygen directory) and report acknowledged tx/s. A thin
// user of the bench harness (node:http2 lanes, signing processes): a closed
// loop of --streams x --window envelopes outstanding, --pool of them signed
// ahead and the rest on the fly.

import path from 'node:path';
import { Status } from '../block/index.js';
import { EnvelopeSupply, externalTarget, runBench, type RunResult, type Schedule } from '../client/index.js';
import { intFlag, parseFlags, stringFlag } from './args.js';
import { DEFAULT_CLUSTER_DIR } from './clusterCommand.js';
import { address, clientMsp, LOCAL_TLS_SERVER_NAME, readManifest } from './dev/layout.js';

export const LOAD_USAGE = 'orderer load [--dir .data/cluster] [--node 1] [--duration-s 10] [--streams 4] [--window 64] [--pool 10000] [--envelope-bytes 1024]';

/** What `orderer load` prints at the end: sent, answers by status, acknowledged tx/s over the time it sent. */
export interface LoadSummary {
  readonly sent: number;
  readonly succeeded: number;
  /** Answers other than SUCCESS, by status name, and stream failures under "STREAM_FAILED". */
  readonly refused: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly acknowledgedTxPerSec: number;
}

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
  const durationS = intFlag(flags, 'duration-s', 10, 1, 3600);
  const streams = intFlag(flags, 'streams', 4, 1, 256);
  const windowPerStream = intFlag(flags, 'window', 64, 1, 4096);
  const presign = intFlag(flags, 'pool', 10_000, 1, 5_000_000);
  const envelopeBytes = intFlag(flags, 'envelope-bytes', 1024, 256, 1024 * 1024);
  const node = manifest.nodes.find((n) => n.id === nodeId)!;
  const endpoint = address(node, 'client');
  const target = await externalTarget({
    endpoints: [endpoint],
    tlsCaFile: path.join(dir, manifest.tlsCaFile),
    serverNameOverride: LOCAL_TLS_SERVER_NAME,
    channelId: manifest.channelId,
    ...clientMsp(dir, manifest),
    envelopeBytes,
  });
  const supply = new EnvelopeSupply(target.signer);
  try {
    process.stdout.write(`signing ${presign} envelopes of ~${envelopeBytes} bytes ahead (more on the fly)...\n`);
    await supply.prepare(presign);
    process.stdout.write(`broadcasting to node ${nodeId} (${endpoint}) for ${durationS} s over ${streams} streams\n`);
    const backlog = streams * windowPerStream;
    const schedule: Schedule = { phases: [{ kind: 'backlog', name: `backlog ${backlog}`, durationS, backlog }], faults: [] };
    let total = 0;
    const run = await runBench({
      target,
      schedule,
      role: 'all',
      streamsPerNode: streams,
      maxOutstanding: backlog,
      supply,
      watchNodes: false,
      onSample: (second) => {
        total += second.acknowledged;
        if (second.phase === 'drain') return;
        process.stdout.write(`  ${second.t.toFixed(0)} s: ${(second.acknowledged / second.intervalS).toFixed(0)} tx/s acknowledged, ${total} total\n`);
      },
    });
    const summary = loadSummary(run);
    process.stdout.write(formatLoadSummary(summary));
    return summary.succeeded > 0 ? 0 : 1;
  } finally {
    await supply.close();
    await target.close();
  }
}

/** The run's counts; tx/s over the time it sent (the drain, waiting for commits, left out). */
export function loadSummary(run: RunResult): LoadSummary {
  const sendingS = run.rounds.reduce((sum, r) => sum + r.durationS, 0);
  const elapsedMs = Math.max(1, sendingS * 1000);
  return {
    sent: run.total.sent,
    succeeded: run.total.acknowledged,
    refused: run.total.refused,
    elapsedMs,
    acknowledgedTxPerSec: (run.total.acknowledged * 1000) / elapsedMs,
  };
}

export function formatLoadSummary(summary: LoadSummary): string {
  const refused = Object.entries(summary.refused)
    .map(([what, n]) => `${what} ${n}`)
    .join(', ');
  return (
    `sent ${summary.sent}, ${Status[Status.SUCCESS]} ${summary.succeeded}${refused ? `, ${refused}` : ''} in ${(summary.elapsedMs / 1000).toFixed(1)} s: ` +
    `${summary.acknowledgedTxPerSec.toFixed(0)} tx/s acknowledged\n`
  );
}
