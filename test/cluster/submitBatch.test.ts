// Forwarded submits leave in batches: what a follower forwards to one channel
// in one event-loop turn goes out as one SubmitBatch frame (bounded by count
// and bytes), and each envelope still gets its own verdict. The leader here is
// a bare listener that records the frames it is sent and answers them itself.

import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, test } from 'vitest';
import { ForwardRejectedError } from '../../src/cluster/errors.js';
import { FrameKind, decodeFrames, encodeFrame, type Frame, type SubmitBatchFrame } from '../../src/cluster/frames.js';
import { clusterServiceDefinition } from '../../src/cluster/service.js';
import type { GrpcClusterTransport } from '../../src/cluster/transport.js';
import { RecordingHandler, TestPki, closeAll, metricValue, startCluster, startTransport, waitFor, type TestNode, type TlsMaterial } from './fixtures.js';

const pki = new TestPki();
let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

/** A listener that welcomes any dialer, records the frames after Hello and answers each SubmitBatch: envelope [0xff] rejected, the rest accepted. */
async function startRecordingLeader(tls: TlsMaterial): Promise<{ port: number; frames: Frame[] }> {
  const frames: Frame[] = [];
  const server = new grpc.Server();
  const calls: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
  server.addService(clusterServiceDefinition, {
    Step: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      calls.push(call);
      let welcomed = false;
      call.on('data', (bytes: Buffer) => {
        if (!welcomed) {
          welcomed = true;
          call.write(encodeFrame({ kind: FrameKind.Welcome }));
          return;
        }
        for (const frame of decodeFrames(bytes)) {
          frames.push(frame);
          if (frame.kind !== FrameKind.SubmitBatch) continue;
          const ids = frame.envelopes.map((_, i) => frame.firstRequestId + i);
          const refused = ids.filter((_, i) => frame.envelopes[i]![0] === 0xff);
          const accepted = ids.filter((id) => !refused.includes(id)).map((id): [number, number] => [id, 1]);
          const rejected = refused.map((requestId) => ({ requestId, errorCode: 'FORBIDDEN', errorMessage: `request ${requestId} refused` }));
          call.write(encodeFrame({ kind: FrameKind.SubmitResults, accepted, rejected }));
        }
      });
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(pki.caPem),
    [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))));
  closers.push(async () => {
    for (const call of calls) call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'test over' });
    server.forceShutdown();
  });
  return { port, frames };
}

async function followerOf(leaderTls: TlsMaterial, port: number, overrides: Parameters<typeof startTransport>[3] = {}): Promise<GrpcClusterTransport> {
  const transport = await startTransport(pki, 1, pki.issueTls(1), overrides);
  closers.push(() => transport.close());
  transport.updatePeers([{ id: 2, address: `127.0.0.1:${port}`, tlsCertPem: leaderTls.certPem }]);
  return transport;
}

const batches = (frames: readonly Frame[]) => frames.filter((f): f is SubmitBatchFrame => f.kind === FrameKind.SubmitBatch);

test('the envelopes forwarded in one turn leave as one SubmitBatch per channel, and each gets its own verdict', async () => {
  const leaderTls = pki.issueTls(2);
  const leader = await startRecordingLeader(leaderTls);
  const follower = await followerOf(leaderTls, leader.port);
  const envelopes = [1, 2, 0xff, 4, 5].map((b) => Uint8Array.of(b));
  const outcomes = await Promise.all([
    ...envelopes.map((e) =>
      follower.forwardSubmit('ch1', 2, e).then(
        () => 'ok',
        (err: unknown) => err,
      ),
    ),
    follower.forwardSubmit('ch2', 2, Uint8Array.of(9)).then(() => 'ok'),
  ]);
  expect(outcomes.map((o) => (o === 'ok' ? o : (o as ForwardRejectedError).code))).toEqual(['ok', 'ok', 'FORBIDDEN', 'ok', 'ok', 'ok']);
  expect((outcomes[2] as ForwardRejectedError).message).toMatch(/request \d+ refused/);
  const sent = batches(leader.frames);
  expect(sent.map((b) => [b.channel, b.envelopes.map((e) => e[0])])).toEqual([
    ['ch1', [1, 2, 0xff, 4, 5]],
    ['ch2', [9]],
  ]);
  // Request ids run on from one batch to the next.
  expect(sent[1]!.firstRequestId).toBe(sent[0]!.firstRequestId + 5);
  expect(leader.frames.some((f) => f.kind === FrameKind.Submit)).toBe(false);
  expect(await metricValue(follower, 'cluster_comm_submit_forwarded_count', { outcome: 'accepted' })).toBe(5);
  expect(await metricValue(follower, 'cluster_comm_submit_forwarded_count', { outcome: 'rejected' })).toBe(1);
});

test('a batch holds at most submitWaitersMax envelopes and about 256 KiB of them; envelopes of a later turn go in a later batch', async () => {
  const leaderTls = pki.issueTls(2);
  const leader = await startRecordingLeader(leaderTls);
  const follower = await followerOf(leaderTls, leader.port, { submitWaitersMax: 3 });
  await Promise.all([1, 2, 3, 4, 5, 6, 7].map((b) => follower.forwardSubmit('ch1', 2, Uint8Array.of(b))));
  await Promise.all([8, 9].map((b) => follower.forwardSubmit('ch1', 2, Uint8Array.of(b))));
  // Envelopes of 100 KiB: two fit the byte bound of a batch, the third starts the next.
  await Promise.all([10, 11, 12].map((b) => follower.forwardSubmit('ch1', 2, new Uint8Array(100 * 1024).fill(b))));
  expect(batches(leader.frames).map((b) => b.envelopes.map((e) => e[0]))).toEqual([[1, 2, 3], [4, 5, 6], [7], [8, 9], [10, 11], [12]]);
});

test('between two real transports: a burst of forwards is ordered, each answered, through the listener one envelope at a time', async () => {
  const nodes: TestNode[] = await startCluster(pki, 2);
  closers.push(() => closeAll(nodes));
  const [one, two] = nodes as [TestNode, TestNode];
  two.handler.decide = (envelope) => (envelope[0] % 10 === 0 ? Promise.reject(new ForwardRejectedError(2, 'BAD_REQUEST', 'no tens')) : Promise.resolve());
  const outcomes = await Promise.all(
    Array.from({ length: 600 }, (_, i) =>
      one.transport.forwardSubmit('ch1', 2, Uint8Array.of(i % 256, i >> 8)).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    ),
  );
  expect(two.handler.submits.map((s) => s.envelope[0]! + (s.envelope[1]! << 8))).toEqual(Array.from({ length: 600 }, (_, i) => i));
  outcomes.forEach((outcome, i) => expect(outcome).toBe((i % 256) % 10 === 0 ? 'no tens' : 'ok'));
});

/** A channel that takes a SubmitBatch's envelopes together: one call per batch, envelope n refused when n % 10 is 0. */
class BatchHandler extends RecordingHandler {
  readonly batchCalls: number[] = [];
  /** Settled by the test: the batches wait until then. */
  hold: Promise<void> = Promise.resolve();

  override onSubmit(): Promise<void> {
    throw new Error('a channel with onSubmitAll gets no single submits');
  }

  async onSubmitAll(from: number, envelopes: readonly Uint8Array[]): Promise<unknown[]> {
    this.batchCalls.push(envelopes.length);
    for (const envelope of envelopes) this.submits.push({ from, envelope });
    await this.hold;
    return envelopes.map((e) => (e[0]! % 10 === 0 ? new ForwardRejectedError(2, 'BAD_REQUEST', `no tens (${e[0]})`) : undefined));
  }
}

test('a channel that takes batches gets each SubmitBatch in one call, and each envelope its own verdict', async () => {
  const nodes: TestNode[] = await startCluster(pki, 2);
  closers.push(() => closeAll(nodes));
  const [one, two] = nodes as [TestNode, TestNode];
  const handler = new BatchHandler();
  two.transport.setHandler('ch1', handler);
  const outcomes = await Promise.all(
    Array.from({ length: 600 }, (_, i) =>
      one.transport.forwardSubmit('ch1', 2, Uint8Array.of(i % 256, i >> 8)).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    ),
  );
  expect(handler.submits.map((s) => s.envelope[0]! + (s.envelope[1]! << 8))).toEqual(Array.from({ length: 600 }, (_, i) => i));
  expect(handler.batchCalls.reduce((a, b) => a + b, 0)).toBe(600);
  expect(handler.batchCalls.length).toBeLessThan(600);
  outcomes.forEach((outcome, i) => expect(outcome).toBe((i % 256) % 10 === 0 ? `no tens (${i % 256})` : 'ok'));
});

test('envelopes of a batch beyond inboundSubmitsMax in flight are refused, each, and the others taken together', async () => {
  const nodes: TestNode[] = await startCluster(pki, 2, { inboundSubmitsMax: 3 });
  closers.push(() => closeAll(nodes));
  const [one, two] = nodes as [TestNode, TestNode];
  const handler = new BatchHandler();
  let release!: () => void;
  handler.hold = new Promise<void>((resolve) => (release = resolve));
  two.transport.setHandler('ch1', handler);
  const outcomes = Promise.all(
    [1, 2, 3, 4, 5].map((b) =>
      one.transport.forwardSubmit('ch1', 2, Uint8Array.of(b)).then(
        () => 'ok',
        (e: ForwardRejectedError) => e.code,
      ),
    ),
  );
  await waitFor(() => handler.batchCalls.length > 0, 'the first batch');
  release();
  expect(await outcomes).toEqual(['ok', 'ok', 'ok', 'SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
  expect(handler.batchCalls).toEqual([3]);
});
