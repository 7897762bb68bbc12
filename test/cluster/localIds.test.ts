// A node known under a second consenter id (a channel removed it and added it
// again, so Fabric numbered it anew) answers to that id and speaks as it, on
// streams of their own, while its own id keeps working for other channels.

import { afterEach, describe, expect, test } from 'vitest';
import { RecordingHandler, TestPki, closeAll, heartbeat, startTransport, waitFor, type TestNode } from './fixtures.js';

const pki = new TestPki();
let nodes: TestNode[] = [];
afterEach(async () => {
  await closeAll(nodes);
  nodes = [];
});

/** Node 1, and node 2 that channel "re" knows as consenter 4 (same TLS key). */
async function twoNodesOneAlias(): Promise<{ one: TestNode; two: TestNode; reOnOne: RecordingHandler; reOnTwo: RecordingHandler }> {
  const tls1 = pki.issueTls(1);
  const tls2 = pki.issueTls(2);
  const one: TestNode = { id: 1, tls: tls1, transport: await startTransport(pki, 1, tls1), handler: new RecordingHandler() };
  const two: TestNode = { id: 2, tls: tls2, transport: await startTransport(pki, 2, tls2), handler: new RecordingHandler() };
  nodes = [one, two];
  const reOnOne = new RecordingHandler();
  const reOnTwo = new RecordingHandler();
  for (const [node, re] of [
    [one, reOnOne],
    [two, reOnTwo],
  ] as const) {
    node.transport.setHandler('ch1', node.handler);
    node.transport.setHandler('re', re);
  }
  const addressOf = (n: TestNode): string => `127.0.0.1:${n.transport.port}`;
  // Node 1 knows node 2 under both ids; node 2 lists itself as 4, as the re-adding config does.
  one.transport.updatePeers([
    { id: 2, address: addressOf(two), tlsCertPem: tls2.certPem },
    { id: 4, address: addressOf(two), tlsCertPem: tls2.certPem },
  ]);
  two.transport.addLocalId(4);
  two.transport.updatePeers([
    { id: 1, address: addressOf(one), tlsCertPem: tls1.certPem },
    { id: 4, address: addressOf(two), tlsCertPem: tls2.certPem },
  ]);
  return { one, two, reOnOne, reOnTwo };
}

describe('a second local consenter id', () => {
  test('messages to and from the second id travel on their own streams; the first id keeps working', async () => {
    const { one, two, reOnOne, reOnTwo } = await twoNodesOneAlias();
    expect(two.transport.isLocalId(4)).toBe(true);
    expect(two.transport.isLocalId(1)).toBe(false);
    one.transport.sendConsensus('re', 4, heartbeat(1, 4, 7, 11));
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 3, 12));
    two.transport.sendConsensus('re', 1, heartbeat(4, 1, 7, 13));
    two.transport.sendConsensus('ch1', 1, heartbeat(2, 1, 3, 14));
    await waitFor(
      () => reOnTwo.consensus.length === 1 && two.handler.consensus.length === 1 && reOnOne.consensus.length === 1 && one.handler.consensus.length === 1,
      'one message each way per channel',
    );
    expect(reOnTwo.consensus.map((c) => [c.from, c.message.to, c.message.commit])).toEqual([[1, 4, 11]]);
    expect(two.handler.consensus.map((c) => [c.from, c.message.to, c.message.commit])).toEqual([[1, 2, 12]]);
    expect(reOnOne.consensus.map((c) => [c.from, c.message.from, c.message.commit])).toEqual([[4, 4, 13]]);
    expect(one.handler.consensus.map((c) => [c.from, c.message.from, c.message.commit])).toEqual([[2, 2, 14]]);
    expect(two.transport.isReachable(1, 4)).toBe(true);
    expect(two.transport.isReachable(1)).toBe(true);
    // Node 2 never made a link to itself as a peer.
    expect(two.transport.peerStatus().map((p) => p.id)).toEqual([1]);
  });

  test('connectAs dials the links of the second id before any message needs them', async () => {
    const { two } = await twoNodesOneAlias();
    expect(two.transport.isReachable(1, 4)).toBe(false);
    two.transport.connectAs(4, [1, 4]);
    await waitFor(() => two.transport.isReachable(1, 4), 'the link from 4 to 1 established');
  });

  test('a forwarded submit as the second id reaches the leader as coming from it', async () => {
    const { two, reOnOne } = await twoNodesOneAlias();
    await two.transport.forwardSubmit('re', 1, new Uint8Array([1, 2, 3]), 4);
    expect(reOnOne.submits.map((s) => s.from)).toEqual([4]);
  });

  test('without the second id, a Hello to it is refused; after removeLocalId its links are gone', async () => {
    const { one, two, reOnTwo } = await twoNodesOneAlias();
    two.transport.removeLocalId(4);
    expect(two.transport.isLocalId(4)).toBe(false);
    one.transport.sendConsensus('re', 4, heartbeat(1, 4, 7, 21));
    // Refused at the Hello (wrong_target): the link backs off instead of establishing.
    await waitFor(() => one.transport.peerStatus().find((p) => p.id === 4)?.state === 'backing-off', 'the stream to 4 refused', 10_000);
    expect(one.transport.isReachable(4)).toBe(false);
    expect(reOnTwo.consensus).toEqual([]);
    expect(() => two.transport.sendConsensus('re', 1, heartbeat(4, 1, 7))).toThrow(/not an id of this node/);
  });

  test('removeLocalId ends the streams already accepted for that id', async () => {
    const { one, two, reOnTwo } = await twoNodesOneAlias();
    one.transport.sendConsensus('re', 4, heartbeat(1, 4, 7, 31));
    await waitFor(() => reOnTwo.consensus.length === 1, 'the first heartbeat to 4 delivered');
    two.transport.removeLocalId(4);
    // Its stream ended, node 1's link to 4 redials and is refused at the Hello.
    await waitFor(() => one.transport.peerStatus().find((p) => p.id === 4)?.state === 'backing-off', 'the stream to 4 ended and refused', 10_000);
    one.transport.sendConsensus('re', 4, heartbeat(1, 4, 7, 32));
    expect(reOnTwo.consensus.map((c) => c.message.commit)).toEqual([31]);
  });
});
