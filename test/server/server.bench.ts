// What the server layer costs per envelope (run: npx vitest bench --run test/server/server.bench.ts).
// A Broadcast client and the server in one process over loopback, a channel
// that accepts at once: the figure is the gRPC + decode + routing + metrics
// ceiling the chain's own costs add to. 1 KiB envelopes, like bench:cluster.

import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { createSignedEnvelope, encodeSerializedIdentity, HeaderType } from '../../src/block/index.js';
import type { ChannelSupport } from '../../src/chain/types.js';
import { ATOMIC_BROADCAST_SERVICE, AtomicBroadcastServer } from '../../src/server/index.js';

console.log(`machine: ${os.cpus()[0]?.model} x ${os.cpus().length} cores, node ${process.version}`);

const ENVELOPES_PER_ITERATION = 2000;
const accepting = { channelId: 'bench', submit: async () => ({ status: 'SUCCESS' as const, info: '' }) } as unknown as ChannelSupport;
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

let server: AtomicBroadcastServer;
let client: grpc.Client & { Broadcast(): grpc.ClientDuplexStream<Buffer, Buffer> };

beforeAll(async () => {
  server = await AtomicBroadcastServer.start(
    { listenAddress: '127.0.0.1:0' },
    { channels: { get: (id) => (id === 'bench' ? accepting : undefined), list: () => [accepting] }, logger: pino({ level: 'silent' }), metricsRegistry: new Registry() },
  );
  client = new RawClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  console.log(`envelope: ${envelope.length} bytes; ${ENVELOPES_PER_ITERATION} envelopes per iteration, so envelopes/s = hz x ${ENVELOPES_PER_ITERATION}`);
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

describe(`Broadcast, ${ENVELOPES_PER_ITERATION} envelopes per iteration`, () => {
  bench('1 stream', () => broadcastStream(ENVELOPES_PER_ITERATION), { iterations: 10, time: 0 });
  bench('4 streams', () => Promise.all(Array.from({ length: 4 }, () => broadcastStream(ENVELOPES_PER_ITERATION / 4))).then(() => undefined), {
    iterations: 10,
    time: 0,
  });
});
