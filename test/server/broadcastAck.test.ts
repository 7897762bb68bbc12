// When Broadcast answers SUCCESS: the node's default, or the stream's choice
// in the `orderer-ack` request header, reaches the channel's submit; a header
// naming anything else is answered BAD_REQUEST for every envelope.

import * as grpc from '@grpc/grpc-js';
import { common } from '@hyperledger/fabric-protos';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeChannel } from './support/fakeChannels.js';
import { toProtosEnvelope, transaction } from './support/envelopes.js';
import { collect, startHarness, type Harness } from './support/harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function broadcastOne(headerValues: string[], serverOptions = {}): Promise<{ channel: FakeChannel; statuses: { status: number; info: string }[] }> {
  const channel = new FakeChannel('mychannel', 1);
  harness = await startHarness([channel], serverOptions);
  const metadata = new grpc.Metadata();
  for (const value of headerValues) metadata.add('orderer-ack', value);
  const stream = harness.client.broadcast(metadata);
  const done = collect(stream);
  stream.write(toProtosEnvelope(transaction('mychannel', 'hello')));
  stream.end();
  const { messages, error } = await done;
  expect(error).toBeUndefined();
  return { channel, statuses: messages.map((m) => ({ status: m.getStatus(), info: m.getInfo() })) };
}

describe('Broadcast acknowledgement mode', () => {
  it('without the header: the node default (accepted), with its timeout', async () => {
    const { channel } = await broadcastOne([]);
    expect(channel.submitOptions).toEqual([{ ack: 'accepted', ackTimeoutMs: 10_000 }]);
  });

  it('the server option broadcastAck: committed is the default of streams that do not choose', async () => {
    const { channel } = await broadcastOne([], { broadcastAck: 'committed', broadcastAckTimeoutMs: 3000 });
    expect(channel.submitOptions).toEqual([{ ack: 'committed', ackTimeoutMs: 3000 }]);
  });

  it('orderer-ack: committed (or accepted) chooses per stream', async () => {
    expect((await broadcastOne(['committed'])).channel.submitOptions).toEqual([{ ack: 'committed', ackTimeoutMs: 10_000 }]);
    await harness!.close();
    expect((await broadcastOne(['accepted'], { broadcastAck: 'committed' })).channel.submitOptions).toEqual([{ ack: 'accepted', ackTimeoutMs: 10_000 }]);
  });

  it('any other value: BAD_REQUEST naming the header, nothing submitted', async () => {
    const { channel, statuses } = await broadcastOne(['durable']);
    expect(statuses).toEqual([
      { status: common.Status.BAD_REQUEST, info: 'request header orderer-ack must be one of accepted, committed (once), got "durable"' },
    ]);
    expect(channel.submitOptions).toEqual([]);
  });
});
