// `npm start`: the local 3-node cluster (keys and data under .data/, made on
// first run), a steady stream of signed transactions into it, and the live
// view. Ctrl-C (or SIGTERM) stops the load, the Deliver stream and every node;
// no orderer process outlives it (children also stop when our stdin pipe to
// them closes, see nodeProcess.ts).

import path from 'node:path';
import { SEEK_MAX } from '../../block/index.js';
import { connectAtomicBroadcast, deliver } from '../../client/index.js';
import { intFlag, parseFlags, stringFlag } from '../args.js';
import { ensureCluster, stopSignal } from '../clusterCommand.js';
import { createEnvelopePool, loadClientCreator } from '../../client/index.js';
import { address, clientMsp, clientTls } from './layout.js';
import { CommitCounter, LinePainter, renderSample, sample } from './liveView.js';
import { runLoad } from '../../client/index.js';
import { LocalCluster } from './localCluster.js';

export const DEMO_USAGE = 'npm start -- [--dir .data/demo] [--rate 1000] [--base-port 7050]';

export async function demo(argv: readonly string[]): Promise<number> {
  const flags = parseFlags('demo', argv, { dir: { type: 'string' }, rate: { type: 'string' }, 'base-port': { type: 'string' } });
  const dir = path.resolve(stringFlag(flags, 'dir') ?? '.data/demo');
  const rate = intFlag(flags, 'rate', 1000, 1, 1_000_000);
  const stop = stopSignal();
  process.stdout.write(`local 3-node cluster in ${dir} (keys made on first run)\n`);
  ensureCluster(dir, { nodes: '3', 'batch-timeout-ms': '500', ...(flags['base-port'] !== undefined && { 'base-port': flags['base-port'] }) });
  const cluster = new LocalCluster(dir);
  const aborter = new AbortController();
  const clients = cluster.nodes.map((n) => connectAtomicBroadcast(address(n, 'client'), clientTls(dir, cluster.manifest)));
  cluster.startAll();
  try {
    process.stdout.write('starting nodes...\n');
    await Promise.race([cluster.waitHealthy(120_000), stop.promise]);
    if (stop.requested) return 0;
    const creator = loadClientCreator(clientMsp(dir, cluster.manifest));
    process.stdout.write('signing a pool of 20000 envelopes (1 KiB, P-256 or SM2 as generated)...\n');
    const envelopes = createEnvelopePool({ channelId: cluster.manifest.channelId, creator, count: 20_000 });
    process.stdout.write(`submitting ~${rate} tx/s to node 1; logs in ${dir}/nodes/*/orderer.log; Ctrl-C stops everything\n\n`);

    const load = { acknowledged: 0, refused: 0 };
    const loading = runLoad({
      client: clients[0]!,
      envelopes,
      streams: 2,
      windowPerStream: 64,
      durationMs: 365 * 24 * 3600 * 1000,
      once: false,
      maxTxPerSec: rate,
      signal: aborter.signal,
      onTick: (report) => {
        load.acknowledged = report.succeeded;
        load.refused = Object.values(report.refused).reduce((sum, n) => sum + n, 0);
      },
    });
    const counter = new CommitCounter();
    const following = followCommits(cluster, clients, counter, aborter.signal);
    const painter = new LinePainter();
    const started = performance.now();
    let since = started;
    while (!stop.requested) {
      await Promise.race([stop.promise, new Promise((resolve) => setTimeout(resolve, 1000))]);
      if (stop.requested) break;
      const s = await sample(cluster, counter, since, started, load);
      since = performance.now();
      painter.paint(renderSample(s));
    }
    aborter.abort();
    await Promise.allSettled([loading, following]);
    return 0;
  } finally {
    aborter.abort();
    for (const client of clients) client.close();
    process.stdout.write('\nstopping nodes...\n');
    const codes = await cluster.stopAll();
    process.stdout.write(`stopped: ${[...codes].map(([id, code]) => `node ${id} exit ${code}`).join(', ')}\n`);
  }
}

/** Follows new blocks over Deliver, from node 1 or, if it fails, the next node; until `signal` aborts. */
async function followCommits(cluster: LocalCluster, clients: ReturnType<typeof connectAtomicBroadcast>[], counter: CommitCounter, signal: AbortSignal): Promise<void> {
  const creator = loadClientCreator(clientMsp(cluster.dir, cluster.manifest));
  for (let attempt = 0; !signal.aborted; attempt++) {
    const index = attempt % clients.length;
    try {
      await deliver(clients[index]!, {
        channelId: cluster.manifest.channelId,
        creator,
        start: { type: 'newest' },
        stop: { type: 'specified', number: SEEK_MAX },
        onBlock: counter.onBlock,
        signal,
      });
    } catch (error) {
      // A node down (or restarting) breaks its stream: follow another one after the pause below.
      if (!(error instanceof Error)) throw error;
    }
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
