// Support of the eviction e2e tests (real `orderer start` processes): a short
// eviction suspicion in the keygen channel file, channel files with a chosen
// consenter set, `orderer channel update` by the orderer admin, the config
// block of a sequence as a node serves it, log polling, the participation
// API's view of a channel and one Broadcast.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { currentConfigOf, HeaderType, readEnvelopeFields, type Block, type BroadcastResponse } from '../../src/block/index.js';
import { BroadcastStream, connectAtomicBroadcast } from '../../src/cli/abClient.js';
import { createEnvelopePool, loadClientCreator } from '../../src/cli/envelopePool.js';
import { ADMIN_MSP_DIRS } from '../../src/cli/keygen.js';
import { address, clientTls, readManifest } from '../../src/cli/layout.js';
import { orderer, operationsUrl, servedBlocks, type Setup } from './channelSupport.js';

const POLL_MS = 200;

/** Sets raft.evictionSuspicion in the keygen channel file (read by the nodes when they start). */
export function setEvictionSuspicion(setup: Setup, duration: string): void {
  const config = parse(fs.readFileSync(setup.channelFile, 'utf8')) as { raft?: Record<string, unknown> };
  config.raft = { ...config.raft, evictionSuspicion: duration };
  fs.writeFileSync(setup.channelFile, stringify(config));
}

/** `channels/<name>.yaml`: the keygen channel file with only the consenters `ids`. */
export function channelFileWith(setup: Setup, name: string, ids: readonly number[]): string {
  const config = parse(fs.readFileSync(setup.channelFile, 'utf8')) as { consenters: { id: number }[] };
  config.consenters = config.consenters.filter((c) => ids.includes(c.id));
  const file = path.join(path.dirname(setup.channelFile), `${name}.yaml`);
  fs.writeFileSync(file, stringify(config));
  return file;
}

/** `orderer channel update` of the channel to `channelFile`, signed by the OrdererMSP admin, sent to node `via`. */
export function updateChannel(setup: Setup, via: number, channelFile: string): ReturnType<typeof orderer> {
  const manifest = readManifest(setup.dir);
  return orderer([
    'channel', 'update', '--channel-config', channelFile, '--orderer', address(setup.cluster.node(via), 'client'),
    '--tls-ca', path.join(setup.dir, manifest.tlsCaFile), '--server-name', 'localhost',
    '--msp-dir', path.join(setup.dir, ADMIN_MSP_DIRS.orderer), '--msp-id', 'OrdererMSP',
  ]);
}

/** The config block of config `sequence`, once node `id` serves it. */
export async function configBlockOf(setup: Setup, id: number, channelId: string, sequence: number, timeoutMs: number): Promise<Block> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const blocks = await servedBlocks(setup, id, channelId);
    const found = blocks.find((b) => readEnvelopeFields(b.data[0]!).headerType === HeaderType.CONFIG && currentConfigOf(b).config.sequence === sequence);
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error(`node ${id} served no config block of sequence ${sequence} of ${channelId} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** Polls node `id`'s log until a line matches `pattern`; returns that line. */
export async function waitLogLine(setup: Setup, id: number, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const line = fs.readFileSync(setup.cluster.logFile(id), 'utf8').split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (performance.now() > deadline) throw new Error(`no line of node ${id}'s log matches ${pattern} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** Polls node `id`'s /healthz until it answers 200 (every channel it serves knows a Raft leader). */
export async function waitHealthz(setup: Setup, id: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${operationsUrl(setup, id)}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      (err: unknown) => (err instanceof Error ? 0 : Promise.reject(err)),
    );
    if (status === 200) return;
    if (performance.now() > deadline) throw new Error(`node ${id}'s /healthz did not answer 200 within ${timeoutMs} ms (last: ${status})`);
    await sleep(POLL_MS);
  }
}

/** Lines of node `id`'s log that match `pattern`. */
export function logLines(setup: Setup, id: number, pattern: RegExp): string[] {
  return fs.readFileSync(setup.cluster.logFile(id), 'utf8').split('\n').filter((l) => pattern.test(l));
}

export interface ParticipationInfo {
  readonly name: string;
  readonly status: string;
  readonly consensusRelation: string;
  readonly height: number;
}

/** The participation API's view of `channelId` on node `id`. */
export async function participationOf(setup: Setup, id: number, channelId: string): Promise<ParticipationInfo> {
  const response = await fetch(`${operationsUrl(setup, id)}/participation/v1/channels/${channelId}`, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`GET channel ${channelId} on node ${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as ParticipationInfo;
}

/** Broadcasts one fresh envelope of `channelId` to node `id`; resolves with the answer. */
export async function broadcastOne(setup: Setup, id: number, channelId: string): Promise<BroadcastResponse> {
  const manifest = readManifest(setup.dir);
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  try {
    const [envelope] = createEnvelopePool({ channelId, creator: loadClientCreator(setup.dir, manifest), count: 1 });
    const stream = new BroadcastStream(client);
    const response = await stream.send(envelope!.bytes);
    await stream.end();
    return response;
  } finally {
    client.close();
  }
}
