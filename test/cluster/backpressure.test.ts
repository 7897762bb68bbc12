// Bounded queues under a peer that does not keep up. A "silent" peer accepts
// the TLS connection and the Step stream but never answers Hello, so nothing
// queued for it is ever written: the queue bound is reached deterministically.

import { afterEach, describe, expect, test } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ClusterUnavailableError } from '../../src/cluster/errors.js';
import { clusterServiceDefinition } from '../../src/cluster/service.js';
import { TestPki, closeAll, heartbeat, metricValue, startCluster, startTransport, waitFor, type TestNode, type TlsMaterial } from './fixtures.js';
import type { GrpcClusterTransport } from '../../src/cluster/transport.js';
import { MessageType } from '../../src/raft/types.js';

const pki = new TestPki();
let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

/** A listener with valid TLS that takes Step streams and never says a word. */
async function startSilentPeer(tls: TlsMaterial): Promise<{ port: number; streams: () => number }> {
  const server = new grpc.Server();
  const calls: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
  server.addService(clusterServiceDefinition, { Step: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => calls.push(call) });
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
  return { port, streams: () => calls.length };
}

async function nodeFacingSilentPeer(
  overrides: Parameters<typeof startTransport>[3],
): Promise<{ transport: GrpcClusterTransport; silent: { streams: () => number } }> {
  const silentTls = pki.issueTls(2);
  const silent = await startSilentPeer(silentTls);
  const transport = await startTransport(pki, 1, pki.issueTls(1), overrides);
  closers.push(() => transport.close());
  transport.updatePeers([{ id: 2, address: `127.0.0.1:${silent.port}`, tlsCertPem: silentTls.certPem }]);
  return { transport, silent };
}

describe('consensus messages', () => {
  test('are dropped and counted once the queue of a slow peer is full; sending never waits', async () => {
    const { transport, silent } = await nodeFacingSilentPeer({ sendQueueFramesMax: 4 });
    for (let term = 1; term <= 100; term++) transport.sendConsensus('ch1', 2, heartbeat(1, 2, term));
    expect(
      await metricValue(transport, 'cluster_comm_msg_dropped_count', { host: transport.peerStatus()[0]!.address, channel: 'ch1', reason: 'queue_full' }),
    ).toBe(96);
    // Heartbeats are control messages: counted in that lane.
    expect(await metricValue(transport, 'cluster_comm_msg_dropped_count', { lane: 'control', reason: 'queue_full' })).toBe(96);
    expect(await metricValue(transport, 'cluster_comm_msg_dropped_count', { lane: 'bulk' })).toBe(0);
    expect(transport.peerStatus()[0]).toMatchObject({ state: 'connecting', queuedFrames: 4 });
    expect(await metricValue(transport, 'cluster_comm_egress_queue_capacity')).toBe(4);
    await waitFor(() => silent.streams() === 1, 'the dial to reach the silent peer');
    expect(transport.isReachable(2)).toBe(false);
  });

  test('appends are dropped at the byte bound with frame slots still free; the status shows the bytes queued', async () => {
    // Ten 10 KiB appends against 64 KiB: six fit, four are dropped though 994 frame slots are free.
    const { transport } = await nodeFacingSilentPeer({ sendQueueFramesMax: 1000, frameBytesMax: 64 * 1024, sendQueueBytesMax: 64 * 1024 });
    const append = (index: number) => ({
      ...heartbeat(1, 2, 1),
      type: MessageType.MsgApp,
      index,
      entries: [{ term: 1, index: index + 1, type: 0, data: new Uint8Array(10 * 1024) }],
    });
    for (let index = 0; index < 10; index++) transport.sendConsensus('ch1', 2, append(index));
    expect(await metricValue(transport, 'cluster_comm_msg_dropped_count', { lane: 'bulk', reason: 'queue_full' })).toBe(4);
    const status = transport.peerStatus()[0]!;
    expect(status.queuedFrames).toBe(6);
    expect(status.queuedBytes).toBeGreaterThan(6 * 10 * 1024);
    expect(status.queuedBytes).toBeLessThanOrEqual(64 * 1024);
  });

  test('to a real peer: what fits the queue while connecting is delivered, the rest dropped, none lost silently', async () => {
    const nodes: TestNode[] = await startCluster(pki, 2, { sendQueueFramesMax: 8 });
    closers.push(() => closeAll(nodes));
    const [one, two] = nodes as [TestNode, TestNode];
    for (let commit = 0; commit < 50; commit++) one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1, commit));
    await waitFor(() => two.handler.consensus.length === 8, 'the 8 queued messages');
    expect(two.handler.consensus.map((c) => c.message.commit)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await metricValue(one.transport, 'cluster_comm_msg_dropped_count', { reason: 'queue_full' })).toBe(42);
  });
});

test('a snapshot that cannot be sent is reported as a failure, so the leader does not keep the follower paused', async () => {
  const { transport } = await nodeFacingSilentPeer({ sendQueueFramesMax: 1, submitTimeoutMs: 300 });
  const reports: string[] = [];
  transport.onSnapshotStatus((channel, peer, status) => reports.push(`${channel}:${peer}:${status}`));
  const snap = (index: number) => ({
    ...heartbeat(1, 2, 1),
    type: MessageType.MsgSnap,
    snapshot: {
      data: new Uint8Array(64),
      metadata: { index, term: 1, confState: { voters: [1, 2], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
    },
  });
  transport.sendConsensus('ch1', 2, snap(10)); // queued while connecting
  transport.sendConsensus('ch1', 2, snap(11)); // queue full: dropped now
  expect(reports).toEqual(['ch1:2:failure']);
  // The silent peer never welcomes: the stream is given up and the queued snapshot dropped too.
  await waitFor(() => reports.length === 2, 'the queued snapshot to be reported');
  expect(reports).toEqual(['ch1:2:failure', 'ch1:2:failure']);
  // A plain heartbeat is not a snapshot: dropping it reports nothing.
  transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
  expect(reports.length).toBe(2);
});

test('a message or envelope over frameBytesMax is refused at once: the message dropped and counted, the envelope BAD_REQUEST', async () => {
  const nodes: TestNode[] = await startCluster(pki, 2, { frameBytesMax: 4096, sendQueueBytesMax: 8192 });
  closers.push(() => closeAll(nodes));
  const [one, two] = nodes as [TestNode, TestNode];
  const big = { ...heartbeat(1, 2, 1), type: MessageType.MsgApp, entries: [{ term: 1, index: 1, type: 0, data: new Uint8Array(5000) }] };
  one.transport.sendConsensus('ch1', 2, big);
  expect(await metricValue(one.transport, 'cluster_comm_msg_dropped_count', { lane: 'bulk', reason: 'too_large' })).toBe(1);
  const error = await one.transport.forwardSubmit('ch1', 2, new Uint8Array(5000)).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'BAD_REQUEST' });
  expect((error as Error).message).toContain('envelope of 5000 bytes does not fit the cluster frame limit of 4096 bytes');
  // The link is unharmed: a message that fits still goes through.
  one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 2));
  await waitFor(() => two.handler.consensus.length === 1, 'the small message');
  expect(two.handler.consensus[0]!.message.term).toBe(2);
});

describe('forwarded submits', () => {
  test('wait for room up to submitWaitersMax, beyond it are refused at once, and time out naming the peer', async () => {
    const { transport } = await nodeFacingSilentPeer({ sendQueueFramesMax: 2, submitWaitersMax: 1, submitTimeoutMs: 300 });
    const settled: string[] = [];
    const forwards = [1, 2, 3, 4].map((i) =>
      transport.forwardSubmit('ch1', 2, new Uint8Array([i])).then(
        () => settled.push(`${i}:ok`),
        (e: ClusterUnavailableError) => {
          settled.push(`${i}:${e.code}`);
          return e;
        },
      ),
    );
    // Two queued, one waiting for room, the fourth refused without waiting.
    const fourth = await forwards[3];
    expect(fourth).toBeInstanceOf(ClusterUnavailableError);
    expect((fourth as Error).message).toMatch(/1 forwarded envelopes already wait for room in the send queue to consenter 2 \(127\.0\.0\.1:\d+\)/);
    expect(settled).toEqual(['4:SERVICE_UNAVAILABLE']);
    const errors = (await Promise.all(forwards.slice(0, 3))) as Error[];
    expect(settled.sort()).toEqual(['1:SERVICE_UNAVAILABLE', '2:SERVICE_UNAVAILABLE', '3:SERVICE_UNAVAILABLE', '4:SERVICE_UNAVAILABLE']);
    for (const error of errors)
      expect(error.message).toMatch(
        /consenter 2 \(127\.0\.0\.1:\d+\) gave no verdict on the forwarded envelope within 300 ms|stream to consenter 2 .* broke: no Welcome/,
      );
    expect(await metricValue(transport, 'cluster_comm_submit_forwarded_count', { outcome: 'unavailable' })).toBe(4);
  });

  test('the leader bounds the envelopes one follower has in flight and says so', async () => {
    const nodes: TestNode[] = await startCluster(pki, 2, { inboundSubmitsMax: 2 });
    closers.push(() => closeAll(nodes));
    const [one, two] = nodes as [TestNode, TestNode];
    const release: Array<() => void> = [];
    two.handler.decide = () => new Promise<void>((resolve) => release.push(resolve));
    const first = [1, 2].map((i) => one.transport.forwardSubmit('ch1', 2, new Uint8Array([i])));
    await waitFor(() => two.handler.submits.length === 2, 'two submits at the leader');
    const third = await one.transport.forwardSubmit('ch1', 2, new Uint8Array([3])).catch((e: unknown) => e);
    expect(third).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect((third as Error).message).toContain('already has 2 envelopes forwarded by consenter 1 in flight');
    two.handler.decide = () => Promise.resolve();
    for (const resolve of release) resolve();
    await Promise.all(first);
    await one.transport.forwardSubmit('ch1', 2, new Uint8Array([4]));
    expect(two.handler.submits.map((s) => s.envelope[0])).toEqual([1, 2, 4]);
  });
});
