// Shared set-up of the e2e tests that drive channels on running nodes with
// the `orderer` command: a keygen'd cluster of real `orderer start` processes
// in a temp dir, the CLI runner, and the checks every lifecycle test ends
// with (same blocks on every node, valid hash chain, every acknowledged
// envelope exactly once).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Block } from '../../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../../src/client/abClient.js';
import { createEnvelopePool, loadClientCreator, type SignedEnvelope } from '../../src/client/envelopePool.js';
import { freeNodePorts } from '../../src/cli/dev/freePorts.js';
import { keygen, type KeygenOptions } from '../../src/cli/dev/keygen.js';
import { clientMsp, address, clientTls, readManifest } from '../../src/cli/dev/layout.js';
import { runLoad } from '../../src/client/load.js';
import { LocalCluster } from '../../src/cli/dev/localCluster.js';
import { channelView } from '../../src/client/nodeMetrics.js';
import { ELECTION_TICK, hashChainFault, headersOf, TICK_INTERVAL_MS, txIdsOf } from './helpers.js';
import { E2E_RUNTIME, ordererArgv } from './ordererRuntime.js';

const CLI_TIMEOUT_MS = 60_000;

export interface Setup {
  readonly dir: string;
  readonly cluster: LocalCluster;
  /** The keygen channel's config file (every node a consenter). */
  readonly channelFile: string;
}

export interface SetUpOptions {
  /** Node configs list no channel (channels are joined at run time). */
  readonly withoutChannels?: boolean;
  readonly nodes?: number;
  /** Nodes started at once (default all); the others are started by the test. */
  readonly startNodes?: readonly number[];
  readonly keygen?: Partial<KeygenOptions>;
}

/**
 * A keygen'd cluster in a temp dir, started and healthy. `disposers` collects
 * its tear-down (stop every node, remove the dir unless E2E_KEEP=1): run them
 * in afterAll.
 */
export async function setUp(channelId: string, disposers: Array<() => Promise<void>>, options: SetUpOptions = {}): Promise<Setup> {
  const nodes = options.nodes ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-channels-'));
  const manifest = keygen({
    outDir: dir,
    nodes,
    algorithm: 'ecdsa-p256',
    channelId,
    ports: await freeNodePorts(nodes),
    engine: 'native',
    tickIntervalMs: TICK_INTERVAL_MS,
    electionTick: ELECTION_TICK,
    batchTimeoutMs: 100,
    maxMessageCount: 50,
    ...options.keygen,
  });
  if (options.withoutChannels === true) {
    for (const node of manifest.nodes) {
      const file = path.join(dir, node.configFile);
      const config = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      delete config['channels'];
      fs.writeFileSync(file, stringify(config));
    }
  }
  const cluster = new LocalCluster(dir, { runtime: E2E_RUNTIME });
  disposers.push(async () => {
    await cluster.stopAll(10_000);
    if (process.env['E2E_KEEP'] === '1') console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });
  if (options.startNodes === undefined) {
    cluster.startAll();
    await cluster.waitHealthy(60_000);
  } else {
    for (const id of options.startNodes) cluster.process(id).start();
    for (const id of options.startNodes) await cluster.waitListening(id, 60_000);
  }
  return { dir, cluster, channelFile: path.join(dir, `channels/${channelId}.yaml`) };
}

/** Runs the `orderer` command; resolves with its exit code and output. */
export function orderer(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ordererArgv(args), { stdio: ['ignore', 'pipe', 'pipe'], timeout: CLI_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function operationsUrl(setup: Setup, id: number): string {
  return `http://${address(setup.cluster.node(id), 'operations')}`;
}

/** Polls until the running nodes agree that exactly one of them leads `channelId`. */
export async function waitLeaderOf(setup: Setup, channelId: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const running = setup.cluster.nodes.filter((n) => setup.cluster.process(n.id).running);
    const views = await Promise.all(running.map((n) => channelView(address(n, 'operations'), channelId)));
    const leaders = running.filter((_, i) => views[i]?.isLeader === true);
    if (leaders.length === 1) return leaders[0]!.id;
    if (performance.now() > deadline) throw new Error(`no single leader of ${channelId} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Every block of `channelId` node `id` serves now (up to its newest, pulled blocks included). */
export async function servedBlocks(setup: Setup, id: number, channelId: string): Promise<Block[]> {
  const manifest = readManifest(setup.dir);
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  try {
    const { blocks } = await deliver(client, {
      channelId,
      creator: loadClientCreator(clientMsp(setup.dir, manifest)),
      start: { type: 'oldest' },
      stop: { type: 'newest' },
    });
    return blocks;
  } finally {
    client.close();
  }
}

/** Blocks of `channelId` on node `id` once it holds every tx id of `txIds` (polling its height). */
export async function blocksHolding(setup: Setup, id: number, channelId: string, txIds: readonly string[], timeoutMs: number): Promise<Block[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const blocks = await servedBlocks(setup, id, channelId);
    const seen = new Set(txIdsOf(blocks));
    if (txIds.every((t) => seen.has(t))) return blocks;
    if (performance.now() > deadline) throw new Error(`node ${id} did not commit all ${txIds.length} envelopes of ${channelId} within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Broadcasts `count` envelopes of `channelId` to node `id`; resolves with the acknowledged ones. */
export async function order(setup: Setup, id: number, channelId: string, count: number): Promise<SignedEnvelope[]> {
  const manifest = readManifest(setup.dir);
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  const acknowledged: SignedEnvelope[] = [];
  try {
    const envelopes = createEnvelopePool({ channelId, creator: loadClientCreator(clientMsp(setup.dir, manifest)), count });
    await runLoad({ client, envelopes, streams: 2, windowPerStream: 16, durationMs: 60_000, once: true, onAcknowledged: (e) => acknowledged.push(e) });
  } finally {
    client.close();
  }
  return acknowledged;
}

/**
 * The end-of-test check. Every node's blocks of the channel: same
 * headers everywhere over the common prefix, valid hash chain (of the longest
 * chain: a node removed from the channel stops at the block removing it), no
 * transaction twice (config envelopes, whose tx id is empty, are not counted:
 * txIdsOf), each acknowledged envelope there.
 */
export async function checkChannel(setup: Setup, channelId: string, nodeIds: readonly number[], acknowledged: readonly SignedEnvelope[]): Promise<void> {
  const ids = acknowledged.map((e) => e.txId);
  const perNode = await Promise.all(nodeIds.map((id) => blocksHolding(setup, id, channelId, ids, 60_000)));
  const shortest = Math.min(...perNode.map((b) => b.length));
  const reference = perNode.reduce((a, b) => (b.length > a.length ? b : a));
  expect(hashChainFault(reference)).toBeUndefined();
  for (const blocks of perNode) expect(headersOf(blocks.slice(0, shortest))).toEqual(headersOf(reference.slice(0, shortest)));
  const ordered = txIdsOf(reference);
  expect(ordered.filter((t, i) => ordered.indexOf(t) !== i)).toEqual([]);
  const orderedSet = new Set(ordered);
  expect(ids.filter((t) => !orderedSet.has(t))).toEqual([]);
}
