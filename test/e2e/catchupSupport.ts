// Support of the catch-up and shutdown e2e tests: raft options written into
// the keygen channel file before the first start (block 0 is made from it),
// metrics and log lines of one node, bounded polling, and a Deliver stream
// that records when each block arrives on a node.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { SEEK_MAX, type Block } from '../../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../../src/cli/abClient.js';
import { loadClientCreator } from '../../src/cli/envelopePool.js';
import { address, clientTls, readManifest } from '../../src/cli/layout.js';
import { metricValue } from '../../src/cli/nodeMetrics.js';
import { operationsUrl, type Setup } from './channelSupport.js';

/** Raft options of a channel file (YAML form: sizes like '64 KB'). */
export interface RaftOverrides {
  readonly heartbeatTick?: number;
  readonly electionTick?: number;
  readonly snapshotIntervalSize?: string;
  readonly maxInflightBlocks?: number;
}

/** Merges `raft` into the channel file's raft section (before any node started: block 0 is made from it). */
export function setRaftOptions(channelFile: string, raft: RaftOverrides): void {
  const config = parse(fs.readFileSync(channelFile, 'utf8')) as { raft?: Record<string, unknown> };
  config.raft = { ...config.raft, ...raft };
  fs.writeFileSync(channelFile, stringify(config));
}

/** Polls `condition` every 200 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** `metric{channel}` on node `id` now; undefined when the node does not answer or has no such series. */
export async function metricOf(setup: Setup, id: number, metric: string, channelId: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${operationsUrl(setup, id)}/metrics`, { signal: AbortSignal.timeout(2000) });
    return metricValue(await response.text(), metric, channelId);
  } catch (error) {
    // A node that is down or starting answers nothing: that is a reading too.
    if (error instanceof Error) return undefined;
    throw error;
  }
}

/** One JSON log line of a node: its message and when it was written (ms since the epoch). */
export interface LogRecord {
  readonly msg: string;
  readonly timeMs: number;
}

/** Every JSON log line node `id` wrote (its log file accumulates across restarts). */
export function logRecords(setup: Setup, id: number): LogRecord[] {
  const text = fs.readFileSync(setup.cluster.logFile(id), 'utf8');
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const record = JSON.parse(line) as { msg?: unknown; time?: unknown };
    return typeof record.msg === 'string' && typeof record.time === 'number' ? [{ msg: record.msg, timeMs: record.time }] : [];
  });
}

/** The messages of node `id`'s log lines. */
export function logMessages(setup: Setup, id: number): string[] {
  return logRecords(setup, id).map((r) => r.msg);
}

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
    creator: loadClientCreator(setup.dir, manifest),
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
