// An AtomicBroadcast server that orders nothing: it acknowledges every
// envelope at once (or, on request, stalls its answers for a known time, or
// answers no more than a given number per second) and
// cuts every envelope received so far into a "block" delivered to every
// Deliver stream at a fixed interval. Plaintext, loopback only. It measures
// the harness alone (bench:harness) and tests its latency accounting.

import * as grpc from '@grpc/grpc-js';
import { encodeBroadcastResponse, encodeDeliverResponse, Status } from '../../block/index.js';
import { ATOMIC_BROADCAST_SERVICE } from '../../block/index.js';

export interface StubOptions {
  /** Cut a block of what arrived this often. Default 100 ms. */
  readonly blockIntervalMs?: number;
  /** When this many envelopes have arrived, hold every answer for `stallMs` (once). */
  readonly stallAfterEnvelopes?: number;
  readonly stallMs?: number;
  /** Acknowledge at most this many envelopes per second (answers queue beyond it), as an orderer at its capacity. */
  readonly ackPerS?: number;
}

export interface StubOrderer {
  readonly address: string;
  readonly received: () => number;
  readonly blocks: () => number;
  close(): Promise<void>;
}

const SUCCESS = Buffer.from(encodeBroadcastResponse({ status: Status.SUCCESS, info: '' }));
const EMPTY = new Uint8Array(0);

/** The most unspent answering capacity a rate-limited stub keeps, in ms of its rate. */
const BANKED_MS = 50;

export async function startStubOrderer(options: StubOptions = {}): Promise<StubOrderer> {
  const server = new grpc.Server();
  let received = 0;
  let stalledUntil = 0;
  let pending: Uint8Array[] = [];
  let number = 0;
  const held: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
  const subscribers = new Set<grpc.ServerDuplexStream<Buffer, Buffer>>();
  // Capacity: answers wait in arrival order; every 10 ms the stub earns answers at
  // ackPerS and writes as many as it holds. It keeps at most BANKED_MS of unspent
  // capacity, as an orderer at its limit has no reserve: a lighter step before a
  // heavier one does not let the heavier one through faster than the rate.
  const queued: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
  let queueHead = 0;
  let earned = 0;
  let earnedAtMs = performance.now();
  const rateTimer =
    options.ackPerS === undefined
      ? undefined
      : setInterval(() => {
          const nowMs = performance.now();
          const perS = options.ackPerS!;
          earned = Math.min(earned + ((nowMs - earnedAtMs) / 1000) * perS, Math.max(1, (BANKED_MS / 1000) * perS));
          earnedAtMs = nowMs;
          while (queueHead < queued.length && earned >= 1) {
            queued[queueHead++]!.write(SUCCESS);
            earned--;
          }
          if (queueHead === queued.length) {
            queued.length = 0;
            queueHead = 0;
          }
        }, 10);
  const blockOf = (data: Uint8Array[]): Buffer =>
    Buffer.from(encodeDeliverResponse({ type: 'block', block: { header: { number, previousHash: EMPTY, dataHash: EMPTY }, data, metadata: [] } }));

  server.addService(ATOMIC_BROADCAST_SERVICE, {
    broadcast: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (envelope: Buffer) => {
        received++;
        pending.push(envelope);
        if (options.stallAfterEnvelopes !== undefined && received === options.stallAfterEnvelopes) {
          stalledUntil = performance.now() + (options.stallMs ?? 1000);
          setTimeout(() => {
            for (const c of held.splice(0)) c.write(SUCCESS);
          }, options.stallMs ?? 1000);
        }
        if (performance.now() < stalledUntil) held.push(call);
        else if (rateTimer !== undefined) queued.push(call);
        else call.write(SUCCESS);
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
    deliver: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.once('data', () => {
        call.write(blockOf([]));
        subscribers.add(call);
      });
      call.on('end', () => {
        subscribers.delete(call);
        call.end();
      });
      call.on('error', () => subscribers.delete(call));
      call.on('cancelled', () => subscribers.delete(call));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const cutter = setInterval(() => {
    if (pending.length === 0) return;
    number++;
    const bytes = blockOf(pending);
    pending = [];
    for (const call of subscribers) call.write(bytes);
  }, options.blockIntervalMs ?? 100);
  return {
    address: `127.0.0.1:${port}`,
    received: () => received,
    blocks: () => number,
    close: async () => {
      clearInterval(cutter);
      clearInterval(rateTimer);
      for (const call of subscribers) call.end();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      server.forceShutdown();
    },
  };
}
