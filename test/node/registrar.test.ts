// One orderer node started in this process (no child process): the channel
// registrar serves a file-configured channel, orders a Broadcast and serves it
// over Deliver, and the participation API removes the channel and joins it
// again from its genesis block — each step over the node's real listeners.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Status } from '../../src/block/index.js';
import { clientMsp, clientTls, freeNodePorts, keygen, type ClusterManifest } from '../../src/cli/index.js';
import {
  BroadcastStream,
  callParticipation,
  connectAtomicBroadcast,
  createEnvelopePool,
  deliver,
  expectStatus,
  loadClientCreator,
  multipartForm,
  participationTarget,
} from '../../src/client/index.js';
import { loadNodeConfig } from '../../src/config/index.js';
import { genesisBlockOfChannel, nodeOptionsFromConfig, OrdererNode } from '../../src/node/index.js';

const CHANNEL = 'node-channel';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function singleNodeLayout(): Promise<{ dir: string; manifest: ClusterManifest }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-node-'));
  dirs.push(dir);
  const manifest = keygen({
    outDir: dir,
    nodes: 1,
    algorithm: 'ecdsa-p256',
    channelId: CHANNEL,
    ports: await freeNodePorts(1),
    engine: 'native',
    tickIntervalMs: 50,
    batchTimeoutMs: 50,
  });
  return { dir, manifest };
}

async function blocksOf(address: string, tls: { tlsCaPem: string; serverNameOverride: string }, creator: ReturnType<typeof loadClientCreator>) {
  const client = connectAtomicBroadcast(address, tls);
  try {
    return (await deliver(client, { channelId: CHANNEL, creator, start: { type: 'oldest' }, stop: { type: 'newest' } })).blocks;
  } finally {
    client.close();
  }
}

async function broadcastOne(address: string, tls: { tlsCaPem: string; serverNameOverride: string }, creator: ReturnType<typeof loadClientCreator>) {
  const client = connectAtomicBroadcast(address, tls);
  try {
    const [envelope] = createEnvelopePool({ channelId: CHANNEL, creator, count: 1 });
    const stream = new BroadcastStream(client);
    const answer = await stream.send(envelope!.bytes);
    await stream.end();
    return answer;
  } finally {
    client.close();
  }
}

describe('an orderer node in process', () => {
  it('serves its configured channel, and leaves and re-joins it through the participation API', async () => {
    const { dir, manifest } = await singleNodeLayout();
    const config = loadNodeConfig(path.join(dir, manifest.nodes[0]!.configFile));
    const node = await OrdererNode.start(nodeOptionsFromConfig(config, pino({ level: 'silent' })));
    try {
      const tls = clientTls(dir, manifest);
      const creator = loadClientCreator(clientMsp(dir, manifest));
      const address = `127.0.0.1:${node.ports.client}`;
      const ops = participationTarget(`http://127.0.0.1:${node.ports.operations}`, {});
      expect(node.channels.list().map((c) => c.channelId)).toEqual([CHANNEL]);

      await waitFor(
        () => broadcastOne(address, tls, creator),
        (answer) => answer.status === Status.SUCCESS,
      );
      expect(
        (
          await waitFor(
            () => blocksOf(address, tls, creator),
            (blocks) => blocks.length >= 2,
          )
        ).length,
      ).toBe(2);

      const listed = expectStatus(await callParticipation(ops, 'GET', '/participation/v1/channels'), 200, 'list') as { channels: Array<{ name: string }> };
      expect(listed.channels.map((c) => c.name)).toEqual([CHANNEL]);

      expectStatus(await callParticipation(ops, 'DELETE', `/participation/v1/channels/${CHANNEL}`), 204, 'remove');
      expect(node.channels.get(CHANNEL)).toBeUndefined();
      const afterRemoval = await broadcastOne(address, tls, creator).then(
        (answer) => answer.status,
        () => 'refused',
      );
      expect(afterRemoval).not.toBe(Status.SUCCESS);

      const form = multipartForm({ 'config-block': genesisBlockOfChannel(config.channels[0]!) });
      expectStatus(await callParticipation(ops, 'POST', '/participation/v1/channels', form.body, form.contentType), 201, 'join');
      await waitFor(
        () => broadcastOne(address, tls, creator),
        (answer) => answer.status === Status.SUCCESS,
      );
      // Removal deleted the channel's data: the re-joined chain orders from block 0 again.
      const rejoined = await waitFor(
        () => blocksOf(address, tls, creator),
        (blocks) => blocks.length >= 2,
      );
      expect(rejoined.map((b) => b.header.number)).toEqual([0, 1]);
    } finally {
      await node.stop();
    }
  }, 60_000);
});

/** Retries `attempt` until `done` holds (a fresh single-node channel elects itself within a few ticks). */
async function waitFor<T>(attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 100; i++) {
    last = await attempt();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `not done after 100 attempts; last: ${JSON.stringify(last, (_, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? `<${v.length} bytes>` : v))}`,
  );
}
