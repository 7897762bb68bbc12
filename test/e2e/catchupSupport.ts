// Support of the catch-up and shutdown e2e tests: a node's data directory
// and a Deliver stream that records when each block arrives on a node. Raft
// options of the channel are in configUpdateSupport.ts, polling, logs and
// metrics in nodeSupport.ts.

import path from 'node:path';
import { SEEK_MAX, type Block } from '../../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../../src/client/abClient.js';
import { loadClientCreator } from '../../src/client/envelopePool.js';
import { clientMsp, address, clientTls, readManifest } from '../../src/cli/dev/layout.js';
import type { Setup } from './channelSupport.js';

/** Node `id`'s data directory (absolute). */
export function dataDirOf(setup: Setup, id: number): string {
  return path.join(setup.dir, setup.cluster.node(id).dataDir);
}

export interface BlockArrival {
  readonly number: number;
  /** performance.now() when the block reached this process. */
  readonly atMs: number;
}

/**
 * Follows `channelId` on node `id` from block `fromNumber` on, recording when
 * each block arrives, until `stop()`. The stream ending for another reason
 * (node down) is an error of `stop()`.
 */
export function followBlocks(setup: Setup, id: number, channelId: string, fromNumber: number): { readonly arrivals: BlockArrival[]; stop(): Promise<void> } {
  const manifest = readManifest(setup.dir);
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  const aborter = new AbortController();
  const arrivals: BlockArrival[] = [];
  const streaming = deliver(client, {
    channelId,
    creator: loadClientCreator(clientMsp(setup.dir, manifest)),
    start: { type: 'specified', number: fromNumber },
    stop: { type: 'specified', number: SEEK_MAX },
    signal: aborter.signal,
    onBlock: (block: Block) => arrivals.push({ number: block.header.number, atMs: performance.now() }),
  });
  // Settled by stop(); until then a failure is kept for it.
  let failure: unknown;
  const settled = streaming.then(
    (outcome) => (failure = new Error(`Deliver on node ${id} ended early with status ${outcome.status}`)),
    (error: unknown) => (failure = aborter.signal.aborted ? undefined : error),
  );
  return {
    arrivals,
    async stop() {
      aborter.abort();
      await settled;
      client.close();
      if (failure !== undefined) throw failure;
    },
  };
}

/** The largest gap between consecutive arrivals whose later block arrived in (fromMs, toMs]; with the numbers of the blocks around it. */
export function largestGap(arrivals: readonly BlockArrival[], fromMs: number, toMs: number): { gapMs: number; after: number; before: number } {
  let largest = { gapMs: 0, after: -1, before: -1 };
  for (let i = 1; i < arrivals.length; i++) {
    const previous = arrivals[i - 1]!;
    const current = arrivals[i]!;
    if (current.atMs <= fromMs || current.atMs > toMs) continue;
    const gapMs = current.atMs - previous.atMs;
    if (gapMs > largest.gapMs) largest = { gapMs, after: previous.number, before: current.number };
  }
  return largest;
}
