// What the server layer costs per envelope (run: npx vitest bench --run test/server/server.bench.ts).
// A Broadcast client and the server in one process over loopback, a channel
// that accepts at once: the figure is the gRPC + decode + routing + metrics
// ceiling the chain's own costs add to. 1 KiB envelopes, like bench:cluster.
// Deliver: stored blocks streamed from memory (the ledger read is the chain's).

import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { createSeekInfoEnvelope, createSignedEnvelope, encodeBlock, encodeSerializedIdentity, HeaderType } from '../../src/block/index.js';
import type { ChannelSupport } from '../../src/chain/types.js';
import { ATOMIC_BROADCAST_SERVICE, AtomicBroadcastServer } from '../../src/server/index.js';

console.log(`machine: ${os.cpus()[0]?.model} x ${os.cpus().length} cores, node ${process.version}`);

const ENVELOPES_PER_ITERATION = 2000;
const BLOCKS_PER_DELIVER = 200;
const ENVELOPES_PER_BLOCK = 100;

const RawClient = grpc.makeGenericClientConstructor(ATOMIC_BROADCAST_SERVICE, 'AtomicBroadcast');
const envelope = Buffer.from(
  createSignedEnvelope({
    type: HeaderType.ENDORSER_TRANSACTION,
    channelId: 'bench',
    data: new Uint8Array(150),
    creator: {
      signer: { algorithm: 'ecdsa-p256', publicKey: new Uint8Array(65), sign: () => new Uint8Array(72) },
      serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: new Uint8Array(700) }),
    },
  }),
);

/** BLOCKS_PER_DELIVER stored blocks of ENVELOPES_PER_BLOCK envelopes (~100 KiB each). */
const blocks = Array.from({ length: BLOCKS_PER_DELIVER }, (_, number) =>
  encodeBlock({
    header: { number, previousHash: new Uint8Array(32), dataHash: new Uint8Array(32) },
    data: Array.from({ length: ENVELOPES_PER_BLOCK }, () => envelope),
    metadata: Array.from({ length: 5 }, () => new Uint8Array(0)),
  }),
);
const accepting = {
  channelId: 'bench',
  submit: async () => ({ status: 'SUCCESS' as const, info: '' }),
  authorizeDeliver: async () => ({ status: 'SUCCESS' as const, info: '' }),
  height: () => blocks.length,
  block: (number: number) => blocks[number]!,
  waitForBlock: async () => undefined,
} as unknown as ChannelSupport;
const deliverRequest = Buffer.from(
  createSeekInfoEnvelope({
    channelId: 'bench',
    seekInfo: { start: { type: 'oldest' }, stop: { type: 'newest' }, behavior: 0, errorResponse: 0, contentType: 0 },
    creator: {
      signer: { algorithm: 'ecdsa-p256', publicKey: new Uint8Array(65), sign: () => new Uint8Array(72) },
      serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: new Uint8Array(10) }),
    },
  }),
);

let server: AtomicBroadcastServer;
let client: grpc.Client & { Broadcast(): grpc.ClientDuplexStream<Buffer, Buffer>; Deliver(): grpc.ClientDuplexStream<Buffer, Buffer> };

beforeAll(async () => {
  server = await AtomicBroadcastServer.start(
    { listenAddress: '127.0.0.1:0' },
    { channels: { get: (id) => (id === 'bench' ? accepting : undefined), list: () => [accepting] }, logger: pino({ level: 'silent' }), metricsRegistry: new Registry() },
  );
  client = new RawClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  console.log(`envelope: ${envelope.length} bytes; ${ENVELOPES_PER_ITERATION} envelopes per Broadcast iteration, so envelopes/s = hz x ${ENVELOPES_PER_ITERATION}`);
  console.log(`block: ${blocks[0]!.length} bytes; ${BLOCKS_PER_DELIVER} blocks per Deliver iteration, so blocks/s = hz x ${BLOCKS_PER_DELIVER}`);
});

afterAll(async () => {
  client.close();
  await server.close();
});

/** Sends `count` envelopes on one stream, honouring write backpressure; resolves when all are answered. */
function broadcastStream(count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.Broadcast();
    let answered = 0;
    stream.on('data', () => answered++);
    stream.on('end', () => (answered === count ? resolve() : reject(new Error(`${answered} of ${count} answered`))));
    stream.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < count) {
        sent++;
        if (!stream.write(envelope)) {
          stream.once('drain', pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

/** One Deliver request for every stored block; resolves on its final status. */
function deliverAll(): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.Deliver();
    let received = 0;
    stream.on('data', () => {
      received++;
      if (received === BLOCKS_PER_DELIVER + 1) stream.end();
    });
    stream.on('end', () => (received === BLOCKS_PER_DELIVER + 1 ? resolve() : reject(new Error(`${received} responses`))));
    stream.on('error', reject);
    stream.write(deliverRequest);
  });
}

describe(`Deliver, ${BLOCKS_PER_DELIVER} blocks of ${ENVELOPES_PER_BLOCK} envelopes per iteration`, () => {
  bench('1 stream', () => deliverAll(), { iterations: 5, time: 0 });
});

describe(`Broadcast, ${ENVELOPES_PER_ITERATION} envelopes per iteration`, () => {
  bench('1 stream', () => broadcastStream(ENVELOPES_PER_ITERATION), { iterations: 10, time: 0 });
  bench('4 streams', () => Promise.all(Array.from({ length: 4 }, () => broadcastStream(ENVELOPES_PER_ITERATION / 4))).then(() => undefined), {
    iterations: 10,
    time: 0,
  });
});
