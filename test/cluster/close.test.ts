// Clean shutdown: pending forwards are refused, nothing is delivered after
// close, and no socket, server or timer of ours outlives the transports.

import { expect, test } from 'vitest';
import { ClusterUnavailableError } from '../../src/cluster/errors.js';
import { TestPki, closeAll, heartbeat, metricValue, startCluster, waitFor } from './fixtures.js';

/** Handles that would keep the process alive (vitest's own are present before and after alike). */
function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TTYWrap' || kind === 'PipeWrap' || kind === 'FSReqCallback') continue;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

test('close refuses pending forwards, stops delivery, and leaves no sockets or timers behind', async () => {
  const pki = new TestPki();
  const before = liveHandles();
  const nodes = await startCluster(pki, 3);
  const [one, two, three] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
  // Every link established, one submit hanging at the leader.
  for (const from of nodes) for (const to of nodes) if (from !== to) from.transport.sendConsensus('ch1', to.id, heartbeat(from.id, to.id, 1));
  await waitFor(() => nodes.every((n) => n.handler.consensus.length === 2), 'all links up');
  two.handler.decide = () => new Promise<void>(() => undefined);
  const hanging = one.transport.forwardSubmit('ch1', 2, new Uint8Array([1])).catch((e: unknown) => e);
  await waitFor(() => two.handler.submits.length === 1, 'the hanging submit at the leader');
  expect(Object.values(liveHandles()).reduce((a, b) => a + b, 0)).toBeGreaterThan(Object.values(before).reduce((a, b) => a + b, 0));

  expect(await metricValue(three.transport, 'cluster_comm_ingress_stream_count')).toBe(2);
  await one.transport.close();
  // Node 1's stream into node 3 was cancelled by the close: node 3 forgets it.
  for (let i = 0; i < 500 && (await metricValue(three.transport, 'cluster_comm_ingress_stream_count')) !== 1; i++) await new Promise((r) => setTimeout(r, 10));
  expect(await metricValue(three.transport, 'cluster_comm_ingress_stream_count')).toBe(1);
  const error = await hanging;
  expect(error).toBeInstanceOf(ClusterUnavailableError);
  expect((error as Error).message).toContain('the cluster transport of consenter 1 is closing');
  // After close: sending is a no-op, forwarding is refused, close is idempotent.
  one.transport.sendConsensus('ch1', 3, heartbeat(1, 3, 2));
  await expect(one.transport.forwardSubmit('ch1', 3, new Uint8Array([2]))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  await one.transport.close();

  await closeAll(nodes);
  expect(three.handler.consensus.filter((c) => c.message.term === 2)).toEqual([]);
  // Sockets close asynchronously after the servers shut down: wait (bounded) until no kind of
  // handle outnumbers what existed before the transports started.
  const noneLeft = () => Object.entries(liveHandles()).every(([kind, n]) => n <= (before[kind] ?? 0));
  await waitFor(noneLeft, `handles to drop back to ${JSON.stringify(before)}`, 5000);
  expect(liveHandles()['TCPSocketWrap'] ?? 0).toBe(before['TCPSocketWrap'] ?? 0);
  expect(liveHandles()['TCPServerWrap'] ?? 0).toBe(before['TCPServerWrap'] ?? 0);
});
