// The server's gRPC edges, seen from grpc-js clients: a method it does not
// serve is UNIMPLEMENTED, a message above maxReceiveMessageBytes ends the
// call RESOURCE_EXHAUSTED, a client that compresses its messages is served,
// and a burst of envelopes written at once is answered whole and in order.

import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeChannel } from './support/fakeChannels.js';
import { toProtosEnvelope, transaction } from './support/envelopes.js';
import { collect, startHarness, type Harness } from './support/harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('gRPC calls', () => {
  it('answers a method it does not serve with UNIMPLEMENTED', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 1)]);
    const client = new grpc.Client(`127.0.0.1:${harness.server.port}`, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        '/orderer.AtomicBroadcast/Nope',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err) => resolve(err),
      ),
    );
    client.close();
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('ends a Broadcast with RESOURCE_EXHAUSTED for a message above maxReceiveMessageBytes, after answering the ones before it', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel], { maxReceiveMessageBytes: 2048 });
    const stream = harness.client.broadcast();
    const done = collect(stream);
    stream.write(toProtosEnvelope(transaction('mychannel', 'small')));
    const large = new common.Envelope();
    large.setPayload(new Uint8Array(4096));
    stream.write(large);
    const { error } = await done;
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('serves a client that compresses its messages (gzip)', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const client = new orderer.AtomicBroadcastClient(`127.0.0.1:${harness.server.port}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': 2,
    });
    const stream = client.broadcast();
    const done = collect(stream);
    for (let i = 0; i < 5; i++) stream.write(toProtosEnvelope(transaction('mychannel', `compressed ${i} ${'x'.repeat(200)}`)));
    stream.end();
    const { messages, error } = await done;
    client.close();
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.getStatus())).toEqual(Array(5).fill(common.Status.SUCCESS));
    expect(channel.submitted).toHaveLength(5);
  });

  it('answers a burst of 2,000 envelopes written at once, each in order', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const stream = harness.client.broadcast();
    const done = collect(stream);
    const envelopes = Array.from({ length: 2000 }, (_, i) => transaction(i % 7 === 3 ? 'elsewhere' : 'mychannel', `burst ${i}`));
    for (const e of envelopes) stream.write(toProtosEnvelope(e));
    stream.end();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.getStatus())).toEqual(envelopes.map((_, i) => (i % 7 === 3 ? common.Status.NOT_FOUND : common.Status.SUCCESS)));
    expect(channel.submitted.map((e) => Buffer.from(e).toString('hex'))).toEqual(
      envelopes.filter((_, i) => i % 7 !== 3).map((e) => Buffer.from(e).toString('hex')),
    );
  });
});
