// Arbitrary bytes on the wire (not even an Envelope) never end a stream or
// the server: every message gets a response and the stream stays usable.

import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBroadcastResponse, decodeDeliverResponse, Status } from '../../src/block/index.js';
import { ATOMIC_BROADCAST_SERVICE } from '../../src/block/index.js';
import { FakeChannel } from './support/fakeChannels.js';
import { transaction } from './support/envelopes.js';
import { collect, startHarness, type Harness } from './support/harness.js';

/** A client of the same service that sends raw bytes, so malformed messages reach the server. */
const RawClient = grpc.makeGenericClientConstructor(ATOMIC_BROADCAST_SERVICE, 'AtomicBroadcast');
type RawStream = grpc.ClientDuplexStream<Buffer, Buffer>;

let harness: Harness;
let raw: grpc.Client & { Broadcast(): RawStream; Deliver(): RawStream };
const channel = new FakeChannel('mychannel', 2);

beforeAll(async () => {
  harness = await startHarness([channel]);
  raw = new RawClient(`127.0.0.1:${harness.server.port}`, grpc.credentials.createInsecure()) as unknown as typeof raw;
});

afterAll(async () => {
  raw.close();
  await harness.close();
});

describe('robustness against arbitrary input', () => {
  it('Broadcast answers every random message, then still accepts a valid envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 20 }), async (messages) => {
        const stream = raw.Broadcast();
        const done = collect(stream);
        for (const message of messages) stream.write(Buffer.from(message));
        stream.write(Buffer.from(transaction('mychannel', 'valid')));
        stream.end();
        const { messages: responses, error } = await done;
        expect(error).toBeUndefined();
        expect(responses).toHaveLength(messages.length + 1);
        const statuses = responses.map((r) => decodeBroadcastResponse(r).status);
        expect(statuses.at(-1)).toBe(Status.SUCCESS);
        for (const status of statuses.slice(0, -1)) expect([Status.BAD_REQUEST, Status.NOT_FOUND, Status.FORBIDDEN]).toContain(status);
      }),
      { numRuns: 40 },
    );
  });

  it('Deliver answers every random request with a status and no block', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 10 }), async (messages) => {
        const stream = raw.Deliver();
        const done = collect(stream);
        for (const message of messages) stream.write(Buffer.from(message));
        stream.end();
        const { messages: responses, error } = await done;
        expect(error).toBeUndefined();
        expect(responses.map((r) => decodeDeliverResponse(r).type)).toEqual(messages.map(() => 'status'));
      }),
      { numRuns: 40 },
    );
  });
});
