// Broadcast through Fabric's generated client: statuses, order under
// pipelining, the bound on outstanding submits, and resilience to bad input.

import { common, type orderer } from '@hyperledger/fabric-protos';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeChannel, TEST_ABSOLUTE_MAX_BYTES } from './support/fakeChannels.js';
import { protosEnvelopeWithPayload, toProtosEnvelope, transaction, unsignedTransaction } from './support/envelopes.js';
import { collect, eventually, startHarness, take, type Harness } from './support/harness.js';

const Status = common.Status;
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function summary(responses: orderer.BroadcastResponse[]) {
  return responses.map((r) => ({ status: r.getStatus(), info: r.getInfo() }));
}

describe('Broadcast', () => {
  it('answers SUCCESS for a valid envelope and hands its exact bytes to the channel', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const envelope = transaction('mychannel', 'hello');
    const stream = harness.client.broadcast();
    const done = collect(stream);
    stream.write(toProtosEnvelope(envelope));
    stream.end();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(summary(messages)).toEqual([{ status: Status.SUCCESS, info: '' }]);
    expect(channel.submitted.map((e) => Buffer.from(e).toString('hex'))).toEqual([Buffer.from(envelope).toString('hex')]);
  });

  it('lends the channel envelopes that stay intact while the stream reads on (no receive buffer is reused)', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const envelopes = Array.from({ length: 200 }, (_, i) => transaction('mychannel', `envelope ${i} `.repeat(40)));
    const stream = harness.client.broadcast();
    const done = collect(stream);
    for (const envelope of envelopes) stream.write(toProtosEnvelope(envelope));
    stream.end();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.getStatus())).toEqual(envelopes.map(() => Status.SUCCESS));
    // The channel kept the very views it was lent; every later read of the stream left them as they were.
    expect(channel.submitted.map((e) => Buffer.from(e).toString('hex'))).toEqual(envelopes.map((e) => Buffer.from(e).toString('hex')));
  });

  it('gives each kind of bad envelope its status and keeps the stream going', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const stream = harness.client.broadcast();
    const done = collect(stream);
    stream.write(toProtosEnvelope(transaction('mychannel', 'first')));
    stream.write(protosEnvelopeWithPayload(new Uint8Array([0x0a, 0x05, 0x01]))); // header length runs past the end
    stream.write(toProtosEnvelope(transaction('no-such-channel', 'x')));
    stream.write(toProtosEnvelope(transaction('', 'x')));
    stream.write(toProtosEnvelope(unsignedTransaction('mychannel', 'unsigned')));
    stream.write(toProtosEnvelope(transaction('mychannel', new Uint8Array(TEST_ABSOLUTE_MAX_BYTES))));
    stream.write(toProtosEnvelope(transaction('mychannel', 'last')));
    stream.end();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    const got = summary(messages);
    expect(got.map((r) => r.status)).toEqual([
      Status.SUCCESS,
      Status.BAD_REQUEST,
      Status.NOT_FOUND,
      Status.BAD_REQUEST,
      Status.FORBIDDEN,
      Status.BAD_REQUEST,
      Status.SUCCESS,
    ]);
    expect(got[1]!.info).toMatch(/^malformed envelope: envelope\.payload\.header: length 5 runs past the end/);
    expect(got[2]!.info).toBe('channel "no-such-channel" is not served by this orderer');
    expect(got[3]!.info).toBe('envelope channel header has an empty channel_id');
    expect(got[4]!.info).toBe('envelope has no signature');
    expect(got[5]!.info).toContain(`exceeds maximum allowed ${TEST_ABSOLUTE_MAX_BYTES} bytes`);
    expect(channel.submitted).toHaveLength(2);
  });

  it('bounds a client-chosen channel id echoed in the NOT_FOUND info', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 1)]);
    const longId = 'x'.repeat(10_000);
    const stream = harness.client.broadcast();
    stream.write(toProtosEnvelope(transaction(longId, 'a')));
    const [response] = await take(stream, 1);
    expect(response!.getStatus()).toBe(Status.NOT_FOUND);
    expect(response!.getInfo()).toBe(`channel "${'x'.repeat(64)}…" is not served by this orderer`);
    stream.end();
  });

  it('answers in request order when the channel finishes submits out of order', async () => {
    const channel = new FakeChannel('mychannel', 1);
    const releases = new Map<string, () => void>();
    channel.holdSubmits = (envelope) => new Promise<void>((resolve) => releases.set(Buffer.from(envelope).toString('hex'), resolve));
    harness = await startHarness([channel]);
    const envelopes = Array.from({ length: 8 }, (_, i) => transaction('mychannel', `tx ${i}`));
    const stream = harness.client.broadcast();
    const done = collect(stream);
    for (const envelope of envelopes) stream.write(toProtosEnvelope(envelope));
    stream.end();
    await eventually(() => releases.size === envelopes.length, 'all 8 submits are held by the channel');
    // Release last to first: responses must still come out first to last.
    for (const envelope of [...envelopes].reverse()) releases.get(Buffer.from(envelope).toString('hex'))!();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.getStatus())).toEqual(envelopes.map(() => Status.SUCCESS));
    expect(channel.submitted.map((e) => Buffer.from(e).toString())).toEqual([...envelopes].reverse().map((e) => Buffer.from(e).toString()));
  });

  it('property: for any mix of envelopes and any order the channel finishes them in, responses match a naive in-order model', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const held: { key: string; release: () => void }[] = [];
    channel.holdSubmits = (envelope) => new Promise<void>((release) => held.push({ key: Buffer.from(envelope).toString('hex'), release }));
    const kind = fc.constantFrom('valid', 'malformed', 'unknown channel', 'unsigned');
    await fc.assert(
      fc.asyncProperty(fc.array(kind, { minLength: 1, maxLength: 25 }), fc.infiniteStream(fc.nat()), async (kinds, picks) => {
        held.length = 0;
        const envelopes = kinds.map((k, i) =>
          k === 'valid'
            ? toProtosEnvelope(transaction('mychannel', `tx ${i}`))
            : k === 'malformed'
              ? protosEnvelopeWithPayload(new Uint8Array([0x0a, 0x7f]))
              : k === 'unknown channel'
                ? toProtosEnvelope(transaction('other', `tx ${i}`))
                : toProtosEnvelope(unsignedTransaction('mychannel', `tx ${i}`)),
        );
        const expected = kinds.map((k) =>
          k === 'valid' ? Status.SUCCESS : k === 'malformed' ? Status.BAD_REQUEST : k === 'unknown channel' ? Status.NOT_FOUND : Status.FORBIDDEN,
        );
        const stream = harness!.client.broadcast();
        const done = collect(stream);
        for (const envelope of envelopes) stream.write(envelope);
        stream.end();
        const validCount = kinds.filter((k) => k === 'valid').length;
        await eventually(() => held.length === validCount, `${validCount} valid submits are held`);
        // Release the held submits in an order drawn by fast-check.
        const iterator = picks[Symbol.iterator]();
        while (held.length > 0) held.splice(iterator.next().value! % held.length, 1)[0]!.release();
        const { messages, error } = await done;
        expect(error).toBeUndefined();
        expect(messages.map((m) => m.getStatus())).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('never has more than broadcastOutstandingMax submits of one stream in flight, and still answers all', async () => {
    const outstandingMax = 4;
    const channel = new FakeChannel('mychannel', 1);
    const held: (() => void)[] = [];
    channel.holdSubmits = () => new Promise<void>((resolve) => held.push(resolve));
    harness = await startHarness([channel], { broadcastOutstandingMax: outstandingMax });
    const total = 40;
    const stream = harness.client.broadcast();
    const done = collect(stream);
    for (let i = 0; i < total; i++) stream.write(toProtosEnvelope(transaction('mychannel', `tx ${i}`)));
    stream.end();
    let released = 0;
    while (released < total) {
      await eventually(() => held.length > 0, `submit ${released} reaches the channel`);
      expect(channel.inFlight).toBeLessThanOrEqual(outstandingMax);
      held.shift()!();
      released++;
    }
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(total);
    expect(channel.inFlightPeak).toBe(outstandingMax);
  });

  it('answers INTERNAL_SERVER_ERROR when a channel breaks its never-reject contract, and goes on', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const stream = harness.client.broadcast();
    channel.failSubmitsWith = new Error('chain bug');
    stream.write(toProtosEnvelope(transaction('mychannel', 'a')));
    const [first] = await take(stream, 1);
    expect(first!.getStatus()).toBe(Status.INTERNAL_SERVER_ERROR);
    channel.failSubmitsWith = undefined;
    stream.write(toProtosEnvelope(transaction('mychannel', 'b')));
    const [second] = await take(stream, 1);
    expect(second!.getStatus()).toBe(Status.SUCCESS);
    stream.end();
  });

  it('answers SERVICE_UNAVAILABLE with the channel’s reason when it has no leader', async () => {
    const channel = new FakeChannel('mychannel', 1);
    channel.leaderId = 0;
    harness = await startHarness([channel]);
    const stream = harness.client.broadcast();
    stream.write(toProtosEnvelope(transaction('mychannel', 'a')));
    const [response] = await take(stream, 1);
    expect(summary([response!])).toEqual([{ status: Status.SERVICE_UNAVAILABLE, info: 'no Raft leader' }]);
    stream.end();
  });

  it('counts broadcast_processed_count by channel, type and status, with unknown channels under ""', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const stream = harness.client.broadcast();
    const done = collect(stream);
    stream.write(toProtosEnvelope(transaction('mychannel', 'a')));
    stream.write(toProtosEnvelope(transaction('mychannel', 'b')));
    stream.write(toProtosEnvelope(transaction('elsewhere', 'c')));
    stream.write(toProtosEnvelope(transaction('mychannel', 'd')));
    stream.write(toProtosEnvelope(transaction('', 'e')));
    stream.write(toProtosEnvelope(transaction('elsewhere', 'f')));
    stream.end();
    await done;
    const text = await harness.metrics.metrics();
    expect(text).toContain('broadcast_processed_count{channel="mychannel",type="ENDORSER_TRANSACTION",status="SUCCESS"} 3');
    expect(text).toContain('broadcast_processed_count{channel="",type="ENDORSER_TRANSACTION",status="NOT_FOUND"} 2');
    expect(text).toContain('broadcast_processed_count{channel="",type="ENDORSER_TRANSACTION",status="BAD_REQUEST"} 1');
    expect(text).not.toContain('elsewhere');
    expect(text).toContain('broadcast_validate_duration_count{channel="mychannel",type="ENDORSER_TRANSACTION",status="SUCCESS"} 3');
    expect(text).toContain('broadcast_validate_duration_count{channel="",type="ENDORSER_TRANSACTION",status="NOT_FOUND"} 2');
  });

  it('serves several streams at once, each in its own order', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const streams = [harness.client.broadcast(), harness.client.broadcast(), harness.client.broadcast()];
    const results = streams.map((s) => collect(s));
    streams.forEach((s, i) => {
      for (let j = 0; j < 20; j++) s.write(toProtosEnvelope(j % 5 === 4 ? transaction('nope', `${i}`) : transaction('mychannel', `${i}/${j}`)));
      s.end();
    });
    for (const { messages, error } of await Promise.all(results)) {
      expect(error).toBeUndefined();
      expect(messages.map((m) => m.getStatus())).toEqual(Array.from({ length: 20 }, (_, j) => (j % 5 === 4 ? Status.NOT_FOUND : Status.SUCCESS)));
    }
    expect(channel.submitted).toHaveLength(48);
  });
});
