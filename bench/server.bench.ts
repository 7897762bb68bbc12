// What the server layer costs: a Broadcast client and the AtomicBroadcast
// server in one process over loopback, with a channel that accepts at once, so
// the figure is the gRPC + decode + routing + metrics ceiling the chain's own
// costs add to (1 KiB envelopes, like bench:cluster). Deliver streams stored
// ~100 KiB blocks from memory (the ledger read is the chain's).
//
//   npm run bench:server [-- --rounds=10]
//
// Each task runs a fixed number of rounds (no time budget): well under a
// minute on a loaded 2-core machine. Figures depend on machine load, printed
// with them. Listens on 127.0.0.1 only, on a port the system picks.

import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Bench } from 'tinybench';
import { createSeekInfoEnvelope, createSignedEnvelope, encodeBlock, encodeSerializedIdentity, HeaderType } from '../src/block/index.js';
import type { ChannelSupport } from '../src/chain/index.js';
import { AtomicBroadcastServer } from '../src/server/index.js';
import { ATOMIC_BROADCAST_SERVICE } from '../src/block/index.js';
import { numberFlag } from './lib/flags.js';
import { describeMachine } from './lib/machine.js';

const ENVELOPES_PER_ROUND = 2000;
const BLOCKS_PER_DELIVER = 200;
const ENVELOPES_PER_BLOCK = 100;
const ROUNDS_DEFAULT = 10;

const fakeSigner = { algorithm: 'ecdsa-p256' as const, publicKey: new Uint8Array(65), sign: () => new Uint8Array(72) };
const envelope = Buffer.from(
  createSignedEnvelope({
    type: HeaderType.ENDORSER_TRANSACTION,
    channelId: 'bench',
    data: new Uint8Array(150),
    creator: { signer: fakeSigner, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: new Uint8Array(700) }) },
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

/** A channel that accepts every envelope and every Deliver request at once. */
const accepting = {
  channelId: 'bench',
  submit: async () => ({ status: 'SUCCESS' as const, info: '' }),
  submitAll: async (envelopes: readonly Uint8Array[]) => envelopes.map(() => ({ status: 'SUCCESS' as const, info: '' })),
  authorizeDeliver: async () => ({ status: 'SUCCESS' as const, info: '' }),
  height: () => blocks.length,
  block: (number: number) => blocks[number]!,
  waitForBlock: async () => undefined,
} as unknown as ChannelSupport;

/** Built per round: Deliver refuses a request whose timestamp is outside the time window. */
function deliverRequest(): Buffer {
  return Buffer.from(
    createSeekInfoEnvelope({
      channelId: 'bench',
      seekInfo: { start: { type: 'oldest' }, stop: { type: 'newest' }, behavior: 0, errorResponse: 0, contentType: 0 },
      creator: { signer: fakeSigner, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: new Uint8Array(10) }) },
    }),
  );
}

type RawClient = grpc.Client & { Broadcast(): grpc.ClientDuplexStream<Buffer, Buffer>; Deliver(): grpc.ClientDuplexStream<Buffer, Buffer> };

/** Sends `count` envelopes on one stream, honouring write backpressure; resolves when all are answered. */
function broadcastStream(client: RawClient, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.Broadcast();
    let answered = 0;
    stream.on('data', () => answered++);
    stream.on('end', () => (answered === count ? resolve() : reject(new Error(`${answered} of ${count} answered`))));
    stream.on('error', reject);
    let sent = 0;
    const pump = (): void => {
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
function deliverAll(client: RawClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.Deliver();
    let received = 0;
    stream.on('data', () => {
      received++;
      if (received === BLOCKS_PER_DELIVER + 1) stream.end();
    });
    stream.on('end', () => (received === BLOCKS_PER_DELIVER + 1 ? resolve() : reject(new Error(`${received} responses, expected ${BLOCKS_PER_DELIVER + 1}`))));
    stream.on('error', reject);
    stream.write(deliverRequest());
  });
}

async function main(): Promise<void> {
  const rounds = numberFlag('rounds', { fallback: ROUNDS_DEFAULT, min: 1, max: 100, integer: true });
  const server = await AtomicBroadcastServer.start(
    { listenAddress: '127.0.0.1:0' },
    {
      channels: { get: (id) => (id === 'bench' ? accepting : undefined), list: () => [accepting] },
      logger: pino({ level: 'silent' }),
      metricsRegistry: new Registry(),
    },
  );
  const Client = grpc.makeGenericClientConstructor(ATOMIC_BROADCAST_SERVICE, 'AtomicBroadcast');
  const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as RawClient;
  try {
    const bench = new Bench({ time: 0, iterations: rounds, warmupTime: 0, warmupIterations: 1, throws: true });
    bench.add(`Deliver, 1 stream, ${BLOCKS_PER_DELIVER} blocks per round`, () => deliverAll(client));
    bench.add(`Broadcast, 1 stream, ${ENVELOPES_PER_ROUND} envelopes per round`, () => broadcastStream(client, ENVELOPES_PER_ROUND));
    bench.add(`Broadcast, 4 streams, ${ENVELOPES_PER_ROUND} envelopes per round`, async () => {
      await Promise.all(Array.from({ length: 4 }, () => broadcastStream(client, ENVELOPES_PER_ROUND / 4)));
    });
    const perRound = [BLOCKS_PER_DELIVER, ENVELOPES_PER_ROUND, ENVELOPES_PER_ROUND];
    const units = ['blocks/s', 'envelopes/s', 'envelopes/s'];
    await bench.run();
    console.log(`machine: ${describeMachine()} (other processes depress these figures)`);
    console.log(`envelope ${envelope.length} bytes, block ${blocks[0]!.length} bytes; ${rounds} rounds per task after one warm-up round\n`);
    console.table(
      bench.tasks.map((task, k) => {
        const result = task.result;
        if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
        return {
          task: task.name,
          rate: `${Math.round((perRound[k]! * 1000) / result.latency.mean).toLocaleString('en-US')} ${units[k]}`, // per round, at the mean round time
          'round mean ms': result.latency.mean.toFixed(1),
          'round p50 ms': result.latency.p50.toFixed(1),
        };
      }),
    );
  } finally {
    client.close();
    await server.close();
  }
}

await main();
