// Watching and poking one running node in the e2e tests: bounded polling,
// its health, its log lines, a metric it reports, and one Broadcast to it.

import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BroadcastResponse } from '../../src/block/index.js';
import { BroadcastStream, connectAtomicBroadcast } from '../../src/client/abClient.js';
import { createEnvelopePool, loadClientCreator } from '../../src/client/envelopePool.js';
import { address, clientMsp, clientTls, readManifest } from '../../src/cli/dev/layout.js';
import { isHealthy, metricValue } from '../../src/client/nodeMetrics.js';
import { operationsUrl, type Setup } from './channelSupport.js';

/** Interval of every poll in the e2e support. */
const POLL_MS = 200;

/**
 * Polls `condition` every POLL_MS until it holds; fails naming `what` after
 * `timeoutMs` (a function: asked at the failure, so it can tell the last reading).
 */
export async function waitUntil(what: string | (() => string), timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(POLL_MS);
  }
}

/** Polls node `id`'s /healthz until it answers 200: every channel it serves knows a Raft leader. */
export async function waitHealthz(setup: Setup, id: number, timeoutMs: number): Promise<void> {
  await waitUntil(`node ${id}'s /healthz to answer 200`, timeoutMs, () => isHealthy(address(setup.cluster.node(id), 'operations')));
}

/** Lines of node `id`'s log that match `pattern` (its log file accumulates across restarts). */
export function logLines(setup: Setup, id: number, pattern: RegExp): string[] {
  return fs
    .readFileSync(setup.cluster.logFile(id), 'utf8')
    .split('\n')
    .filter((l) => pattern.test(l));
}

/** Polls node `id`'s log until a line matches `pattern`; returns that line. */
export async function waitLogLine(setup: Setup, id: number, pattern: RegExp, timeoutMs: number): Promise<string> {
  let line: string | undefined;
  await waitUntil(`a line of node ${id}'s log matching ${pattern}`, timeoutMs, () => (line = logLines(setup, id, pattern)[0]) !== undefined);
  return line!;
}

/** One JSON log line of a node: its message, when it was written (ms since the epoch), and all its fields. */
export interface LogRecord {
  readonly msg: string;
  readonly timeMs: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Every JSON log line node `id` wrote (its log file accumulates across restarts). */
export function logRecords(setup: Setup, id: number): LogRecord[] {
  const text = fs.readFileSync(setup.cluster.logFile(id), 'utf8');
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const record = JSON.parse(line) as { msg?: unknown; time?: unknown } & Record<string, unknown>;
    return typeof record.msg === 'string' && typeof record.time === 'number' ? [{ msg: record.msg, timeMs: record.time, fields: record }] : [];
  });
}

/** The messages of node `id`'s log lines. */
export function logMessages(setup: Setup, id: number): string[] {
  return logRecords(setup, id).map((r) => r.msg);
}

/** `metric{channel}` on node `id` now; undefined when the node does not answer or has no such series. */
export async function metricOf(setup: Setup, id: number, metric: string, channelId: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${operationsUrl(setup, id)}/metrics`, { signal: AbortSignal.timeout(2000) });
    return metricValue(await response.text(), metric, channelId);
  } catch (error) {
    // A node that is down or starting answers nothing: that is a reading too (the caller polls again).
    if (error instanceof Error) return undefined;
    throw error;
  }
}

/** Broadcasts one fresh envelope of `channelId` to node `id`; resolves with the answer. */
export async function broadcastOne(setup: Setup, id: number, channelId: string): Promise<BroadcastResponse> {
  const manifest = readManifest(setup.dir);
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  try {
    const [envelope] = createEnvelopePool({ channelId, creator: loadClientCreator(clientMsp(setup.dir, manifest)), count: 1 });
    const stream = new BroadcastStream(client);
    const response = await stream.send(envelope!.bytes);
    await stream.end();
    return response;
  } finally {
    client.close();
  }
}
