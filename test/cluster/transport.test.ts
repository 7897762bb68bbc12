// Three real transports on loopback with mutual TLS: consensus messages in
// every direction, forwarded submits with the leader's verdict (accepted,
// rejected, unknown channel), a broken stream failing what waited on it, and
// reconnection after a peer restarts on the same address.

import { afterEach, describe, expect, test } from 'vitest';
import { OrdererError } from '../../src/errors.js';
import { ClusterUnavailableError, ForwardRejectedError } from '../../src/cluster/errors.js';
import { MessageType, type Message } from '../../src/raft/types.js';
import { RecordingHandler, TestPki, closeAll, consenters, heartbeat, metricValue, startCluster, startTransport, waitFor, type TestNode } from './fixtures.js';

const pki = new TestPki();
let nodes: TestNode[] = [];
afterEach(async () => {
  await closeAll(nodes);
  nodes = [];
});

describe('three transports', () => {
  test('every node delivers consensus messages to every other, with the authenticated sender', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code ?? warning.message);
    process.on('warning', onWarning);
    nodes = await startCluster(pki, 3);
    for (const from of nodes) {
      for (const to of nodes) {
        if (from !== to) from.transport.sendConsensus('ch1', to.id, heartbeat(from.id, to.id, 5, from.id * 10 + to.id));
      }
    }
    await waitFor(() => nodes.every((n) => n.handler.consensus.length === 2), 'two messages at every node');
    for (const node of nodes) {
      const got = node.handler.consensus.map(({ from, message }) => [from, message.from, message.to, message.commit]).sort();
      const want = nodes
        .filter((n) => n !== node)
        .map((n) => [n.id, n.id, node.id, n.id * 10 + node.id])
        .sort();
      expect(got).toEqual(want);
    }
    expect(nodes.every((n) => nodes.every((p) => p === n || n.transport.isReachable(p.id)))).toBe(true);
    // Dialing 127.0.0.1 must not make Node warn about an IP address as TLS ServerName (DEP0123).
    process.off('warning', onWarning);
    expect(warnings).not.toContain('DEP0123');
  });

  test('messages to one peer arrive in the order they were sent, across channels', async () => {
    nodes = await startCluster(pki, 2);
    const other = new RecordingHandler();
    nodes[1]!.transport.setHandler('ch2', other);
    const app = (i: number): Message => ({
      ...heartbeat(1, 2, 3),
      type: MessageType.MsgApp,
      index: i,
      entries: [{ term: 3, index: i + 1, type: 0, data: new Uint8Array(2048).fill(i % 256) }],
    });
    for (let i = 0; i < 200; i++) nodes[0]!.transport.sendConsensus(i % 2 === 0 ? 'ch1' : 'ch2', 2, app(i));
    await waitFor(() => nodes[1]!.handler.consensus.length + other.consensus.length === 200, '200 messages');
    expect(nodes[1]!.handler.consensus.map((c) => c.message.index)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i));
    expect(other.consensus.map((c) => c.message.index)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i + 1));
    const last = other.consensus[99]!.message.entries[0]!;
    expect([last.data.length, last.data[0]]).toEqual([2048, 199]);
  });

  test('appends carrying block-sized entries, written as pieces, arrive intact and in order among small messages', async () => {
    nodes = await startCluster(pki, 2);
    const block = (i: number): Uint8Array => new Uint8Array(500 * 1024 + i).map((_, k) => (k * 31 + i) % 256);
    const app = (i: number): Message => ({
      ...heartbeat(1, 2, 3),
      type: MessageType.MsgApp,
      index: i,
      entries: [
        { term: 3, index: i + 1, type: 0, data: block(i) },
        { term: 3, index: i + 2, type: 0, data: new Uint8Array([i]) },
      ],
    });
    for (let i = 0; i < 6; i++) {
      nodes[0]!.transport.sendConsensus('ch1', 2, app(i));
      nodes[0]!.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 3, 100 + i));
    }
    await waitFor(() => nodes[1]!.handler.consensus.length === 12, '12 messages');
    const got = nodes[1]!.handler.consensus.map((c) => c.message);
    expect(got.filter((m) => m.type === MessageType.MsgApp).map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got.filter((m) => m.type !== MessageType.MsgApp).map((m) => m.commit)).toEqual([100, 101, 102, 103, 104, 105]);
    for (const m of got.filter((m) => m.type === MessageType.MsgApp)) {
      expect(Buffer.from(m.entries[0]!.data).equals(Buffer.from(block(m.index)))).toBe(true);
      expect([...m.entries[1]!.data]).toEqual([m.index]);
    }
  });

  test('a snapshot is delivered whole and reported finished', async () => {
    nodes = await startCluster(pki, 2);
    const reports: string[] = [];
    nodes[0]!.transport.onSnapshotStatus((channel, peer, status) => reports.push(`${channel}:${peer}:${status}`));
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
    const confState = { voters: [1, 2], learners: [3], votersOutgoing: [], learnersNext: [], autoLeave: false };
    nodes[0]!.transport.sendConsensus('ch1', 2, {
      ...heartbeat(1, 2, 4),
      type: MessageType.MsgSnap,
      snapshot: { data, metadata: { index: 500, term: 4, confState } },
    });
    await waitFor(() => nodes[1]!.handler.consensus.length === 1, 'the snapshot');
    const got = nodes[1]!.handler.consensus[0]!.message.snapshot!;
    expect(got.metadata).toEqual({ index: 500, term: 4, confState });
    expect(Buffer.from(got.data).equals(Buffer.from(data))).toBe(true);
    expect(reports).toEqual(['ch1:2:finish']);
  });

  test('a forwarded submit resolves when the leader accepts it, with the envelope bytes intact', async () => {
    nodes = await startCluster(pki, 3);
    const envelope = new Uint8Array(1024).map((_, i) => i % 251);
    await nodes[0]!.transport.forwardSubmit('ch1', 3, envelope);
    await nodes[1]!.transport.forwardSubmit('ch1', 3, envelope.subarray(0, 10));
    expect(nodes[2]!.handler.submits.map((s) => [s.from, Array.from(s.envelope)])).toEqual([
      [1, Array.from(envelope)],
      [2, Array.from(envelope.subarray(0, 10))],
    ]);
    expect(await metricValue(nodes[0]!.transport, 'cluster_comm_submit_forwarded_count', { outcome: 'accepted' })).toBe(1);
  });

  test("the leader's rejection comes back with its code and message", async () => {
    nodes = await startCluster(pki, 2);
    nodes[1]!.handler.decide = (envelope) =>
      envelope[0] === 1 ? Promise.reject(new OrdererError('FORBIDDEN', 'signature does not verify')) : Promise.reject(new Error('chain bug'));
    const forbidden = await nodes[0]!.transport.forwardSubmit('ch1', 2, new Uint8Array([1])).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ForwardRejectedError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', message: 'signature does not verify', peer: 2 });
    // A non-OrdererError from the chain is reported as an internal error, not swallowed.
    const internal = await nodes[0]!.transport.forwardSubmit('ch1', 2, new Uint8Array([2])).catch((e: unknown) => e);
    expect(internal).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'chain bug' });
  });

  test('a submit for a channel the leader does not serve is NOT_FOUND naming the channel', async () => {
    nodes = await startCluster(pki, 2);
    const error = await nodes[0]!.transport.forwardSubmit('nochannel', 2, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as Error).message).toContain('"nochannel"');
  });

  test('a submit to a leader that is not a configured consenter is SERVICE_UNAVAILABLE naming it', async () => {
    nodes = await startCluster(pki, 2);
    const error = await nodes[0]!.transport.forwardSubmit('ch1', 9, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', peer: 9 });
    expect((error as Error).message).toContain('consenter 9');
  });

  test('an unregistered channel drops consensus messages; setHandler(undefined) unregisters', async () => {
    nodes = await startCluster(pki, 2);
    nodes[1]!.transport.setHandler('ch1', undefined);
    nodes[0]!.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1, 1));
    const late = new RecordingHandler();
    nodes[1]!.transport.setHandler('ch2', late);
    nodes[0]!.transport.sendConsensus('ch2', 2, heartbeat(1, 2, 1, 2));
    await waitFor(() => late.consensus.length === 1, 'the ch2 message');
    // Same stream, sent before: the ch1 message was handled (dropped) first.
    expect(nodes[1]!.handler.consensus).toEqual([]);
    expect(late.consensus[0]!.message.commit).toBe(2);
  });
});

describe('streams that break', () => {
  test('a submit waiting for its verdict fails SERVICE_UNAVAILABLE when the leader goes away, and onUnreachable fires', async () => {
    nodes = await startCluster(pki, 2);
    const unreachable: number[] = [];
    nodes[0]!.transport.onUnreachable((peer) => unreachable.push(peer));
    nodes[1]!.handler.decide = () => new Promise<void>(() => undefined);
    const pending = nodes[0]!.transport.forwardSubmit('ch1', 2, new Uint8Array([7])).catch((e: unknown) => e);
    await waitFor(() => nodes[1]!.handler.submits.length === 1, 'the leader to receive the envelope');
    await nodes[1]!.transport.close();
    const error = await pending;
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/consenter 2 \(127\.0\.0\.1:\d+\) broke/);
    expect(unreachable).toContain(2);
    expect(nodes[0]!.transport.isReachable(2)).toBe(false);
  });

  test('an unsubscribed onUnreachable listener is not called again', async () => {
    nodes = await startCluster(pki, 2);
    const kept: number[] = [];
    const dropped: number[] = [];
    nodes[0]!.transport.onUnreachable((peer) => kept.push(peer));
    const unsubscribe = nodes[0]!.transport.onUnreachable((peer) => dropped.push(peer));
    unsubscribe();
    nodes[0]!.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
    await waitFor(() => nodes[1]!.handler.consensus.length === 1, 'the stream to be up');
    await nodes[1]!.transport.close();
    await waitFor(() => kept.includes(2), 'the kept listener');
    expect(dropped).toEqual([]);
  });

  test('every configured peer is dialed with nothing to send, and a peer that restarts is dialed back as soon as it dials us', async () => {
    // Two followers exchange nothing until one campaigns: a cold link would make its PreVote wait for a TLS handshake each way.
    nodes = await startCluster(pki, 2, { reconnectBackoffMinMs: 60_000, reconnectBackoffMaxMs: 60_000 });
    const [one, two] = nodes as [TestNode, TestNode];
    await waitFor(() => one.transport.isReachable(2) && two.transport.isReachable(1), 'both links up without a message');
    const port = two.transport.port;
    const unreachable: number[] = [];
    one.transport.onUnreachable((peer) => unreachable.push(peer));
    await two.transport.close();
    await waitFor(() => unreachable.includes(2), 'onUnreachable(2)');
    // one now backs off for 60 s; the restarted peer dials it, and it dials back at once.
    two.transport = await startTransport(pki, 2, two.tls, {}, port);
    two.transport.updatePeers(consenters(nodes));
    await waitFor(() => one.transport.isReachable(2), 'the link to the restarted peer, with no message and no probe');
  });

  test('probe() dials a peer at once, with no frame to send and past a backoff in progress; a refused probe is reported', async () => {
    nodes = await startCluster(pki, 2, { reconnectBackoffMinMs: 60_000, reconnectBackoffMaxMs: 60_000 });
    const [one, two] = nodes as [TestNode, TestNode];
    one.transport.probe(2);
    await waitFor(() => one.transport.isReachable(2), 'the probed stream to be up');
    const unreachable: number[] = [];
    one.transport.onUnreachable((peer) => unreachable.push(peer));
    const port = two.transport.port;
    await two.transport.close();
    await waitFor(() => unreachable.length === 1, 'onUnreachable(2)');
    // Backing off for 30..60 s now; the probe still dials, and the closed port refuses it.
    one.transport.probe(2);
    await waitFor(() => unreachable.length === 2, 'the refused probe reported');
    two.transport = await startTransport(pki, 2, two.tls, {}, port);
    two.transport.updatePeers(consenters(nodes));
    one.transport.probe(2);
    await waitFor(() => one.transport.isReachable(2), 'the stream to the restarted peer, without waiting out the backoff');
    one.transport.probe(99);
  });

  test('after a peer restarts on the same address the stream is re-established and messages flow', async () => {
    nodes = await startCluster(pki, 2);
    const [one, two] = nodes as [TestNode, TestNode];
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
    await waitFor(() => two.handler.consensus.length === 1, 'first message');
    const unreachable: number[] = [];
    one.transport.onUnreachable((peer) => {
      unreachable.push(peer);
      // What a chain's heartbeat would do right then: the peer is backing off, so it is dropped.
      one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
    });
    const port = two.transport.port;
    // Each side dialed the other when it was configured: one stream each way.
    await waitFor(() => one.transport.isReachable(2) && two.transport.isReachable(1), 'both links up');
    expect(await metricValue(one.transport, 'cluster_comm_ingress_stream_count')).toBe(1);
    expect(await metricValue(two.transport, 'cluster_comm_ingress_stream_count')).toBe(1);
    await two.transport.close();
    await waitFor(() => unreachable.includes(2), 'onUnreachable(2)');
    expect(one.transport.isReachable(2)).toBe(false);
    expect(await metricValue(one.transport, 'cluster_comm_egress_stream_count')).toBe(0);

    two.transport = await startTransport(pki, 2, two.tls, {}, port);
    const restarted = new RecordingHandler();
    two.transport.setHandler('ch1', restarted);
    two.transport.updatePeers(consenters(nodes));
    // Raft keeps sending heartbeats; do the same until one gets through.
    let term = 2;
    await waitFor(() => {
      if (restarted.consensus.length > 0) return true;
      one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, term++));
      return false;
    }, 'a message to the restarted peer');
    expect(one.transport.isReachable(2)).toBe(true);
    expect(restarted.consensus[0]!.from).toBe(1);
    // The message sent while it was down was dropped and counted, not queued.
    expect(await metricValue(one.transport, 'cluster_comm_msg_dropped_count', { reason: 'unreachable' })).toBeGreaterThanOrEqual(1);
  });

  test('a link backing off from a peer dials again as soon as that peer dials us (restarted), not after its back-off', async () => {
    // A back-off long enough that only the peer's own stream can explain a prompt reconnection.
    nodes = await startCluster(pki, 2, { reconnectBackoffMinMs: 60_000, reconnectBackoffMaxMs: 60_000 });
    const [one, two] = nodes as [TestNode, TestNode];
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
    await waitFor(() => two.handler.consensus.length === 1, 'first message');
    const port = two.transport.port;
    await two.transport.close();
    await waitFor(() => !one.transport.isReachable(2), 'node 2 unreachable');
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1)); // dropped: backing off for a minute
    two.transport = await startTransport(pki, 2, two.tls, { reconnectBackoffMinMs: 60_000, reconnectBackoffMaxMs: 60_000 }, port);
    const restarted = new RecordingHandler();
    two.transport.setHandler('ch1', restarted);
    two.transport.updatePeers(consenters(nodes));
    two.transport.sendConsensus('ch1', 1, heartbeat(2, 1, 2)); // node 2 dials node 1
    await waitFor(() => one.handler.consensus.some((c) => c.from === 2 && c.message.term === 2), 'node 2 reached node 1');
    let term = 3;
    await waitFor(
      () => {
        if (restarted.consensus.length > 0) return true;
        one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, term++));
        return false;
      },
      'node 1 reaches the restarted node 2 within the back-off',
      10_000,
    );
    expect(restarted.consensus[0]!.from).toBe(1);
  });
});
