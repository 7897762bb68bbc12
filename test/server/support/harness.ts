// Starts an AtomicBroadcastServer on 127.0.0.1 over fake channels, and
// connects Fabric's generated client (@hyperledger/fabric-protos) to it.

import * as grpc from '@grpc/grpc-js';
import { orderer } from '@hyperledger/fabric-protos';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AtomicBroadcastServer, type AtomicBroadcastServerOptionsInput } from '../../../src/server/index.js';
import { type FakeChannel, FakeRegistry } from './fakeChannels.js';

export const silentLogger = pino({ level: 'silent' });

export interface Harness {
  readonly server: AtomicBroadcastServer;
  readonly channels: FakeRegistry;
  readonly metrics: Registry;
  readonly client: orderer.AtomicBroadcastClient;
  close(): Promise<void>;
}

export async function startHarness(
  channels: FakeChannel[],
  options: Partial<AtomicBroadcastServerOptionsInput> = {},
  clientCredentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<Harness> {
  const registry = new FakeRegistry(channels);
  const metrics = new Registry();
  const server = await AtomicBroadcastServer.start(
    { listenAddress: '127.0.0.1:0', shutdownGraceMs: 200, ...options },
    { channels: registry, logger: silentLogger, metricsRegistry: metrics },
  );
  const client = new orderer.AtomicBroadcastClient(`127.0.0.1:${server.port}`, clientCredentials);
  return {
    server,
    channels: registry,
    metrics,
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}

/** Fabric's generated client on its own connection (a local subchannel pool: grpc-js shares none). */
export function connectClient(address: string): orderer.AtomicBroadcastClient {
  return new orderer.AtomicBroadcastClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
}

/** Collects every message of a client stream until it ends or fails. */
export function collect<Req, T>(stream: grpc.ClientDuplexStream<Req, T>): Promise<{ messages: T[]; error: grpc.ServiceError | undefined }> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    stream.on('data', (message: T) => messages.push(message));
    stream.on('end', () => resolve({ messages, error: undefined }));
    stream.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
  });
}

/** Resolves with the next `count` messages of a stream (and leaves it open). */
export function take<Req, T>(stream: grpc.ClientDuplexStream<Req, T>, count: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const messages: T[] = [];
    const onData = (message: T) => {
      messages.push(message);
      if (messages.length === count) {
        stream.off('data', onData);
        stream.off('error', reject);
        resolve(messages);
      }
    };
    stream.on('data', onData);
    stream.on('error', reject);
  });
}

/** Polls `condition` on the event loop (no wall-clock assertions), bounded by `attemptsMax` turns of 10 ms. */
export async function eventually(condition: () => boolean, what: string, attemptsMax = 2000): Promise<void> {
  for (let i = 0; i < attemptsMax; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}
