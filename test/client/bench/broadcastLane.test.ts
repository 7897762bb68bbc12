// A Broadcast lane against a bare HTTP/2 server that answers with chosen
// bytes split at chosen places: runs of framed envelopes arrive as sent, and
// every answer is matched to its envelope in order, whether it lies whole in
// a DATA chunk, spans two, or is something other than SUCCESS.

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBroadcastResponse, frameMessages, GrpcMessageReader, Status } from '../../../src/block/index.js';
import { BroadcastLane, type LaneSink } from '../../../src/client/bench/broadcastLane.js';
import { h2SessionSource } from '../../../src/client/bench/h2Session.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Last opened, first closed: the client session before the server that waits for it.
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server whose Broadcast handler keeps every envelope received and writes what `answer` gives for them so far, chunk by chunk. */
async function server(answer: (envelopes: Buffer[]) => Buffer[] | undefined): Promise<{ address: string; received: Buffer[] }> {
  const received: Buffer[] = [];
  const h2 = http2.createServer();
  h2.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    const reader = new GrpcMessageReader(1 << 20);
    stream.on('data', (chunk: Buffer) => {
      const envelopes = reader.push(chunk);
      received.push(...envelopes);
      const chunks = answer(received);
      // Each chunk its own write, a moment apart, so each arrives as its own DATA chunk.
      chunks?.forEach((c, i) => setTimeout(() => stream.write(c), 20 * (i + 1)));
    });
  });
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => h2.close(() => resolve())));
  return { address: `127.0.0.1:${(h2.address() as AddressInfo).port}`, received };
}

function sink(): LaneSink & { answers: { status: number; txKey: number }[] } {
  const answers: { status: number; txKey: number }[] = [];
  return { answers, onAnswer: (_lane, status, txKey) => answers.push({ status, txKey }), onLaneDown: () => undefined };
}

/** Envelopes i..j framed back to back in one buffer, as the signing processes send them. */
function framedBatch(count: number): { bytes: Buffer; ends: number[] } {
  const messages = Array.from({ length: count }, (_, i) => Buffer.from(`envelope ${i}`));
  const bytes = frameMessages(messages);
  const ends: number[] = [];
  let end = 0;
  for (const m of messages) ends.push((end += 5 + m.length));
  return { bytes, ends };
}

const success = frameMessages([encodeBroadcastResponse({ status: Status.SUCCESS, info: '' })]);
const unavailable = frameMessages([encodeBroadcastResponse({ status: Status.SERVICE_UNAVAILABLE, info: 'no leader' })]);

describe('BroadcastLane', () => {
  it('writes runs of a framed batch and matches answers split across chunks to their envelopes in order', async () => {
    const { address, received } = await server((got) => {
      if (got.length < 5) return undefined;
      // Two SUCCESS whole, the third split inside its prefix, then a refusal and a SUCCESS split inside the refusal.
      const all = Buffer.concat([success, success, success, unavailable, success]);
      const cuts = [0, 2 * success.length + 2, 3 * success.length + 4, all.length];
      return cuts.slice(1).map((end, i) => all.subarray(cuts[i], end));
    });
    const source = h2SessionSource(address, undefined, undefined);
    closers.push(async () => source.close());
    const events = sink();
    const lane = new BroadcastLane('test', events);
    lane.open(source);
    closers.push(async () => lane.cancel());
    const { bytes, ends } = framedBatch(6);
    // Envelopes 0-2 and 4-5 are two runs of the batch (3 is skipped, as when another lane took it).
    for (const i of [0, 1, 2, 4, 5]) lane.send(bytes, i === 0 ? 0 : ends[i - 1]!, ends[i]!, 100 + i, 0, 0);
    lane.flush();
    await expect.poll(() => events.answers.length, { timeout: 5000 }).toBe(5);
    expect(received.map((b) => b.toString())).toEqual(['envelope 0', 'envelope 1', 'envelope 2', 'envelope 4', 'envelope 5']);
    expect(events.answers).toEqual([
      { status: Status.SUCCESS, txKey: 100 },
      { status: Status.SUCCESS, txKey: 101 },
      { status: Status.SUCCESS, txKey: 102 },
      { status: Status.SERVICE_UNAVAILABLE, txKey: 104 },
      { status: Status.SUCCESS, txKey: 105 },
    ]);
    expect(lane.outstanding).toBe(0);
  });
});
