// Deliver through Fabric's generated client: seek positions, behaviors,
// statuses, cancellation, content types and metrics.

import { common, type orderer } from '@hyperledger/fabric-protos';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSignedEnvelope,
  encodeSerializedIdentity,
  HeaderType,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type SeekPosition,
} from '../../src/block/index.js';
import { DevOrganization, type DevIdentity } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { FakeChannel } from './support/fakeChannels.js';
import { protosEnvelopeWithPayload, seekOldestToMaxUint64, seekRequest, seekRequestAt, toProtosEnvelope } from './support/envelopes.js';
import { collect, eventually, startHarness, take, type Harness } from './support/harness.js';

const Status = common.Status;
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function seek(start: SeekPosition, stop: SeekPosition, behavior = SeekBehavior.BLOCK_UNTIL_READY, contentType = SeekContentType.BLOCK) {
  return { start, stop, behavior, errorResponse: SeekErrorResponse.STRICT, contentType };
}
const specified = (number: number): SeekPosition => ({ type: 'specified', number });

/** Block numbers and final statuses, in stream order. */
function describeResponses(responses: orderer.DeliverResponse[]): (number | string)[] {
  return responses.map((r) => (r.hasBlock() ? r.getBlock()!.getHeader()!.getNumber() : `status ${r.getStatus()}`));
}

async function deliverOnce(h: Harness, request: Uint8Array) {
  const stream = h.client.deliver();
  const done = collect(stream);
  stream.write(toProtosEnvelope(request));
  stream.end();
  return done;
}

describe('Deliver', () => {
  it('oldest to newest sends every block, byte for byte, then SUCCESS', async () => {
    const channel = new FakeChannel('mychannel', 4);
    harness = await startHarness([channel]);
    const { messages, error } = await deliverOnce(harness, seekRequest('mychannel', seek({ type: 'oldest' }, { type: 'newest' })));
    expect(error).toBeUndefined();
    expect(describeResponses(messages)).toEqual([0, 1, 2, 3, `status ${Status.SUCCESS}`]);
    messages.slice(0, 4).forEach((m, i) => {
      expect(Buffer.from(m.getBlock()!.serializeBinary()).equals(Buffer.from(channel.blocks[i]!))).toBe(true);
    });
  });

  it('works when the channel transfers away the request buffer it is given', async () => {
    const channel = new FakeChannel('mychannel', 3);
    channel.detachInputs = true;
    harness = await startHarness([channel]);
    const { messages } = await deliverOnce(harness, seekRequest('mychannel', seek({ type: 'oldest' }, { type: 'newest' })));
    expect(describeResponses(messages)).toEqual([0, 1, 2, `status ${Status.SUCCESS}`]);
  });

  it('refuses requests without a timestamp or outside the 15-minute window with BAD_REQUEST, as Fabric', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 1)]);
    const all = seek({ type: 'oldest' }, { type: 'newest' });
    const nowSeconds = Math.floor(Date.now() / 1000);
    const stream = harness.client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(seekRequestAt('mychannel', all, undefined)));
    stream.write(toProtosEnvelope(seekRequestAt('mychannel', all, { seconds: nowSeconds - 16 * 60, nanos: 0 })));
    stream.write(toProtosEnvelope(seekRequestAt('mychannel', all, { seconds: nowSeconds + 16 * 60, nanos: 0 })));
    stream.write(toProtosEnvelope(seekRequestAt('mychannel', all, { seconds: nowSeconds - 60, nanos: 0 })));
    stream.end();
    const { messages } = await done;
    expect(describeResponses(messages)).toEqual([
      `status ${Status.BAD_REQUEST}`,
      `status ${Status.BAD_REQUEST}`,
      `status ${Status.BAD_REQUEST}`,
      0,
      `status ${Status.SUCCESS}`,
    ]);
  });

  it('ends the session with FORBIDDEN once the requester’s certificate has expired (Fabric’s session rule)', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 2)]);
    const org = new DevOrganization({
      mspId: 'Org1MSP',
      algorithm: 'ecdsa-p256',
      provider: createCryptoProvider('native'),
      notBefore: new Date(Date.now() - 3 * 86_400_000),
    });
    const asCreator = (member: DevIdentity) => ({
      signer: member.signer,
      serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }),
    });
    const expired = org.issueMember('expired', { notAfter: new Date(Date.now() - 3_600_000) });
    const valid = org.issueMember('valid');
    const all = seek({ type: 'oldest' }, { type: 'newest' });
    const refused = await deliverOnce(harness, seekRequest('mychannel', all, 'Org1MSP', asCreator(expired)));
    expect(describeResponses(refused.messages)).toEqual([`status ${Status.FORBIDDEN}`]);
    const served = await deliverOnce(harness, seekRequest('mychannel', all, 'Org1MSP', asCreator(valid)));
    expect(describeResponses(served.messages)).toEqual([0, 1, `status ${Status.SUCCESS}`]);
  });

  it('newest to newest sends just the last block', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 6)]);
    const { messages } = await deliverOnce(harness, seekRequest('mychannel', seek({ type: 'newest' }, { type: 'newest' })));
    expect(describeResponses(messages)).toEqual([5, `status ${Status.SUCCESS}`]);
  });

  it('BLOCK_UNTIL_READY waits for blocks not yet committed and sends them as they come', async () => {
    const channel = new FakeChannel('mychannel', 2);
    harness = await startHarness([channel]);
    const stream = harness.client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(seekRequest('mychannel', seek(specified(1), specified(3)))));
    stream.end();
    await eventually(() => channel.waiterCount === 1, 'the server waits for block 2');
    channel.appendBlock();
    await eventually(() => channel.waiterCount === 1 && channel.height() === 3, 'the server waits for block 3');
    channel.appendBlock();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(describeResponses(messages)).toEqual([1, 2, 3, `status ${Status.SUCCESS}`]);
  });

  it('next_commit waits for the next block only', async () => {
    const channel = new FakeChannel('mychannel', 3);
    harness = await startHarness([channel]);
    const stream = harness.client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(seekRequest('mychannel', seek({ type: 'nextCommit' }, { type: 'nextCommit' }))));
    stream.end();
    await eventually(() => channel.waiterCount === 1, 'the server waits for block 3');
    channel.appendBlock();
    channel.appendBlock();
    const { messages } = await done;
    expect(describeResponses(messages)).toEqual([3, `status ${Status.SUCCESS}`]);
  });

  it('FAIL_IF_NOT_READY answers NOT_FOUND for a start beyond the height, and mid-range when blocks run out', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 3)]);
    const beyond = await deliverOnce(harness, seekRequest('mychannel', seek(specified(3), specified(4), SeekBehavior.FAIL_IF_NOT_READY)));
    expect(describeResponses(beyond.messages)).toEqual([`status ${Status.NOT_FOUND}`]);
    const partly = await deliverOnce(harness, seekRequest('mychannel', seek(specified(1), specified(5), SeekBehavior.FAIL_IF_NOT_READY)));
    expect(describeResponses(partly.messages)).toEqual([1, 2, `status ${Status.NOT_FOUND}`]);
  });

  it('checks in Fabric’s order: a bad seek info before the requester, a stop before the start ahead of FAIL_IF_NOT_READY', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 3)]);
    // From a reader the channel refuses, with unreadable seek info: Fabric unmarshals the seek info first (BAD_REQUEST).
    const refusedAndMalformed = await deliverOnce(harness, seekRequest('mychannel', new Uint8Array([0xff]), 'Org9MSP'));
    expect(describeResponses(refusedAndMalformed.messages)).toEqual([`status ${Status.BAD_REQUEST}`]);
    // Start beyond the height, stop before it, FAIL_IF_NOT_READY: BAD_REQUEST, not NOT_FOUND.
    const backwards = await deliverOnce(harness, seekRequest('mychannel', seek(specified(9), specified(4), SeekBehavior.FAIL_IF_NOT_READY)));
    expect(describeResponses(backwards.messages)).toEqual([`status ${Status.BAD_REQUEST}`]);
  });

  it('answers NOT_FOUND for an unknown channel, FORBIDDEN for a reader the channel refuses, BAD_REQUEST for bad input', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 2)]);
    const all = seek({ type: 'oldest' }, { type: 'newest' });
    const cases: [Uint8Array | common.Envelope, number][] = [
      [seekRequest('other', all), Status.NOT_FOUND],
      [seekRequest('mychannel', all, 'Org9MSP'), Status.FORBIDDEN],
      [protosEnvelopeWithPayload(new Uint8Array([0xff])), Status.BAD_REQUEST],
      [seekRequest('mychannel', new Uint8Array([0x0a, 0x00])), Status.BAD_REQUEST], // start with no position
      [seekRequest('mychannel', seek(specified(2), specified(1))), Status.BAD_REQUEST],
    ];
    // All on one stream: each request gets its status and the stream goes on.
    const stream = harness.client.deliver();
    const done = collect(stream);
    for (const [request] of cases) stream.write(request instanceof Uint8Array ? toProtosEnvelope(request) : request);
    stream.write(toProtosEnvelope(seekRequest('mychannel', all)));
    stream.end();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    expect(describeResponses(messages)).toEqual([...cases.map(([, status]) => `status ${status}`), 0, 1, `status ${Status.SUCCESS}`]);
  });

  it('a stop of math.MaxUint64 (how Fabric clients stream forever) streams until the client cancels, which ends the wait', async () => {
    const channel = new FakeChannel('mychannel', 2);
    harness = await startHarness([channel]);
    const stream = harness.client.deliver();
    stream.on('error', () => undefined); // the cancellation below surfaces as CANCELLED
    stream.write(toProtosEnvelope(seekRequest('mychannel', seekOldestToMaxUint64())));
    const first = await take(stream, 2);
    expect(describeResponses(first)).toEqual([0, 1]);
    channel.appendBlock();
    expect(describeResponses(await take(stream, 1))).toEqual([2]);
    await eventually(() => channel.waiterCount === 1, 'the server waits for block 3');
    stream.cancel();
    await eventually(() => channel.waiterCount === 0, 'the cancelled stream stops waiting');
    expect(channel.waitSignals.at(-1)!.aborted).toBe(true);
  });

  it('answers SERVICE_UNAVAILABLE when the channel closes under a waiting request', async () => {
    const channel = new FakeChannel('mychannel', 1);
    harness = await startHarness([channel]);
    const stream = harness.client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(seekRequest('mychannel', seek(specified(0), specified(5)))));
    stream.end();
    await eventually(() => channel.waiterCount === 1, 'the server waits for block 1');
    channel.closeWaiters();
    const { messages } = await done;
    expect(describeResponses(messages)).toEqual([0, `status ${Status.SERVICE_UNAVAILABLE}`]);
  });

  it('HEADER_WITH_SIG sends blocks without their transactions', async () => {
    const channel = new FakeChannel('mychannel', 2);
    harness = await startHarness([channel]);
    const { messages } = await deliverOnce(
      harness,
      seekRequest('mychannel', seek({ type: 'oldest' }, { type: 'newest' }, SeekBehavior.BLOCK_UNTIL_READY, SeekContentType.HEADER_WITH_SIG)),
    );
    expect(describeResponses(messages)).toEqual([0, 1, `status ${Status.SUCCESS}`]);
    for (const m of messages.slice(0, 2)) {
      const block = m.getBlock()!;
      expect(block.hasData()).toBe(false); // Data nil, as Fabric sends it
      expect(block.hasHeader()).toBe(true);
      expect(block.getMetadata()!.getMetadataList()).toHaveLength(5);
    }
    // The stored block does carry data: the server stripped it.
    const full = await deliverOnce(harness, seekRequest('mychannel', seek(specified(1), specified(1))));
    expect(full.messages[0]!.getBlock()!.getData()!.getDataList()).toHaveLength(1);
  });

  it('HEADER_WITH_SIG still sends config blocks whole (Fabric’s rule)', async () => {
    const channel = new FakeChannel('mychannel', 1);
    channel.appendBlock([createSignedEnvelope({ type: HeaderType.CONFIG, channelId: 'mychannel', data: new Uint8Array([1, 2, 3]) })]);
    harness = await startHarness([channel]);
    const { messages } = await deliverOnce(
      harness,
      seekRequest('mychannel', seek({ type: 'oldest' }, { type: 'newest' }, SeekBehavior.BLOCK_UNTIL_READY, SeekContentType.HEADER_WITH_SIG)),
    );
    expect(describeResponses(messages)).toEqual([0, 1, `status ${Status.SUCCESS}`]);
    expect(messages[0]!.getBlock()!.getData()?.getDataList() ?? []).toHaveLength(0);
    expect(Buffer.from(messages[1]!.getBlock()!.serializeBinary()).equals(Buffer.from(channel.blocks[1]!))).toBe(true);
  });

  it('counts requests, completions and blocks sent with Fabric’s metric names', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 3)]);
    await deliverOnce(harness, seekRequest('mychannel', seek({ type: 'oldest' }, { type: 'newest' })));
    await deliverOnce(harness, seekRequest('mychannel', seek({ type: 'oldest' }, { type: 'newest' }), 'Org9MSP'));
    const text = await harness.metrics.metrics();
    expect(text).toContain('deliver_requests_received{channel="mychannel",filtered="false",data_type="block"} 2');
    expect(text).toContain('deliver_requests_completed{channel="mychannel",filtered="false",data_type="block",success="true"} 1');
    expect(text).toContain('deliver_requests_completed{channel="mychannel",filtered="false",data_type="block",success="false"} 1');
    expect(text).toContain('deliver_blocks_sent{channel="mychannel",filtered="false",data_type="block"} 3');
    expect(text).toContain('deliver_streams_opened 2');
  });
});
