// Consenter certificate pinning in both directions: a node presenting a
// certificate (same CA, other key) that is not the one pinned for its id is
// refused when it dials and when it is dialed; an impostor with another
// consenter's certificate cannot claim a third id; a foreign CA fails the
// TLS handshake; updatePeers re-pins after a rotation and forgets removed peers.

import { afterEach, describe, expect, test } from 'vitest';
import { AssertionError } from 'node:assert';
import { ClusterUnavailableError } from '../../src/cluster/errors.js';
import {
  RecordingHandler,
  TestPki,
  closeAll,
  consenters,
  heartbeat,
  metricValue,
  startCluster,
  startTransport,
  waitFor,
  type TestNode,
  type TlsMaterial,
} from './fixtures.js';

const pki = new TestPki();
let nodes: TestNode[] = [];
afterEach(async () => {
  await closeAll(nodes);
  nodes = [];
});

/** Consenter 3 in the others' config is pinned to `pinned`, but node 3 runs with `presented`. */
async function clusterWithMispinnedThird(presented: TlsMaterial, presentedPki = pki): Promise<TestNode[]> {
  const [one, two] = await startCluster(pki, 2);
  const transport = await startTransport(presentedPki, 3, presented, { submitTimeoutMs: 2000 });
  // Node 3 trusts the real CA too, so only the pin can refuse.
  const three: TestNode = { id: 3, tls: presented, transport, handler: new RecordingHandler() };
  transport.setHandler('ch1', three.handler);
  const pinnedForThree = pki.issueTls(3);
  const configured = consenters([one!, two!]).concat({ id: 3, address: `127.0.0.1:${transport.port}`, tlsCertPem: pinnedForThree.certPem });
  one!.transport.updatePeers(configured);
  two!.transport.updatePeers(configured);
  three.transport.updatePeers(consenters([one!, two!]));
  return [one!, two!, three];
}

describe('a certificate that is not the pinned one', () => {
  test('is refused on the stream it dials: the listener names the claimed consenter and the key mismatch', async () => {
    nodes = await clusterWithMispinnedThird(pki.issueTls(3));
    const [one, , three] = nodes as [TestNode, TestNode, TestNode];
    const error = await three.transport.forwardSubmit('ch1', 1, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(
      /refused us: it claims to be consenter 3 but its TLS certificate's public key \(sha256 [0-9a-f]{16}\) is not the one pinned/,
    );
    expect(one.handler.submits).toEqual([]);
    expect(await metricValue(one.transport, 'cluster_comm_stream_refused_count', { direction: 'ingress', reason: 'pin_mismatch' })).toBe(1);
    expect(three.transport.isReachable(1)).toBe(false);
  });

  test('is refused on the stream dialed to it: the dialer checks the pin in the TLS handshake', async () => {
    nodes = await clusterWithMispinnedThird(pki.issueTls(3));
    const [one, , three] = nodes as [TestNode, TestNode, TestNode];
    const unreachable: number[] = [];
    one.transport.onUnreachable((peer) => unreachable.push(peer));
    one.transport.sendConsensus('ch1', 3, heartbeat(1, 3, 1));
    await waitFor(() => unreachable.includes(3), 'onUnreachable(3)');
    expect(await metricValue(one.transport, 'cluster_comm_stream_refused_count', { direction: 'egress', reason: 'pin_mismatch' })).toBe(1);
    expect(three.handler.consensus).toEqual([]);
    expect(one.transport.isReachable(3)).toBe(false);
    // The link is backing off: a forward fails at once, naming the refusal.
    const error = await one.transport.forwardSubmit('ch1', 3, new Uint8Array([1])).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /consenter 3 .* is unreachable: refused: its TLS certificate's public key .* is not the one pinned for consenter 3/,
    );
  });

  test("an impostor presenting consenter 2's own certificate cannot claim to be consenter 3", async () => {
    const pre = await startCluster(pki, 2);
    nodes = pre;
    const impostor = await clusterWithMispinnedThird(pre[1]!.tls);
    nodes = [...pre, ...impostor];
    const [one, , three] = impostor as [TestNode, TestNode, TestNode];
    const error = await three.transport.forwardSubmit('ch1', 1, new Uint8Array([1])).catch((e: unknown) => e);
    expect((error as Error).message).toContain('it claims to be consenter 3 but its TLS certificate');
    expect(one.handler.submits).toEqual([]);
  });

  test('the pinned certificate is still refused when it does not name the host dialed', async () => {
    nodes = await startCluster(pki, 1);
    const [one] = nodes as [TestNode];
    const elsewhereTls = pki.issueTls(2, ['orderer2.example.com']);
    const elsewhere = await startTransport(pki, 2, elsewhereTls);
    nodes.push({ id: 2, tls: elsewhereTls, transport: elsewhere, handler: new RecordingHandler() });
    one.transport.updatePeers(consenters(nodes));
    const error = await one.transport.forwardSubmit('ch1', 2, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/broke: refused: its TLS certificate is not valid for host "127\.0\.0\.1"/);
  });

  test('a certificate from a CA the node does not trust fails the TLS handshake', async () => {
    const foreign = new TestPki();
    nodes = await startCluster(pki, 1);
    const [one] = nodes as [TestNode];
    const strangerTls = foreign.issueTls(2);
    const stranger = await startTransport(foreign, 2, strangerTls);
    nodes.push({ id: 2, tls: strangerTls, transport: stranger, handler: new RecordingHandler() });
    stranger.updatePeers(consenters([one]));
    const error = await stranger.forwardSubmit('ch1', 1, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect(one.handler.submits).toEqual([]);
  });
});

describe('updatePeers', () => {
  test('re-pins a rotated certificate: refused before the update, flowing after it, both ways', async () => {
    nodes = await startCluster(pki, 2);
    const [one, two] = nodes as [TestNode, TestNode];
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
    await waitFor(() => two.handler.consensus.length === 1, 'a message before the rotation');

    // Node 2 restarts with a new key pair on the same address.
    const port = two.transport.port;
    await two.transport.close();
    two.tls = pki.issueTls(2);
    two.transport = await startTransport(pki, 2, two.tls, {}, port);
    two.transport.setHandler('ch1', two.handler);
    two.transport.updatePeers(consenters(nodes));

    const refusedBefore = await two.transport.forwardSubmit('ch1', 1, new Uint8Array([1])).catch((e: unknown) => e);
    expect((refusedBefore as Error).message).toContain('is not the one pinned for it');

    one.transport.updatePeers(consenters(nodes));
    let term = 2;
    await waitFor(() => {
      if (two.handler.consensus.length > 1) return true;
      one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, term++));
      return false;
    }, 'a message after the rotation');
    await waitFor(() => !(two.transport.peerStatus()[0]!.state === 'backing-off'), 'node 2 to stop backing off');
    await two.transport.forwardSubmit('ch1', 1, new Uint8Array([2]));
    expect(one.handler.submits.map((s) => [s.from, s.envelope[0]])).toEqual([[2, 2]]);
  });

  test('rotating a live peer ends its authenticated inbound stream so it must present the new certificate', async () => {
    nodes = await startCluster(pki, 2);
    const [one, two] = nodes as [TestNode, TestNode];
    await two.transport.forwardSubmit('ch1', 1, new Uint8Array([1]));
    expect(await metricValue(one.transport, 'cluster_comm_ingress_stream_count')).toBe(1);
    // Node 1 is told node 2 rotated, but node 2 still runs the old certificate.
    one.transport.updatePeers([{ ...consenters(nodes)[1]!, tlsCertPem: pki.issueTls(2).certPem }]);
    expect(await metricValue(one.transport, 'cluster_comm_ingress_stream_count')).toBe(0);
    await waitFor(() => !two.transport.isReachable(1), 'node 2 to see its stream ended');
    const refused = await two.transport.forwardSubmit('ch1', 1, new Uint8Array([2])).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClusterUnavailableError);
    expect(one.handler.submits.map((s) => s.envelope[0])).toEqual([1]);
  });

  test('a peer that moved to another address is dialed there after the update', async () => {
    nodes = await startCluster(pki, 2);
    const [one, two] = nodes as [TestNode, TestNode];
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
    await waitFor(() => two.handler.consensus.length === 1, 'a message to the old address');
    await two.transport.close();
    two.transport = await startTransport(pki, 2, two.tls);
    two.transport.setHandler('ch1', two.handler);
    two.transport.updatePeers(consenters(nodes));
    one.transport.updatePeers(consenters(nodes));
    // A new link is dialed at once, at the new address.
    expect(one.transport.peerStatus()).toMatchObject([{ id: 2, address: `127.0.0.1:${two.transport.port}` }]);
    expect(['connecting', 'established']).toContain(one.transport.peerStatus()[0]!.state);
    await one.transport.forwardSubmit('ch1', 2, new Uint8Array([9]));
    expect(two.handler.submits.map((s) => s.envelope[0])).toEqual([9]);
  });

  test('a removed peer is forgotten: forwards to it fail, sending to it is a programmer error, it is refused', async () => {
    nodes = await startCluster(pki, 3);
    const [one, , three] = nodes as [TestNode, TestNode, TestNode];
    await three.transport.forwardSubmit('ch1', 1, new Uint8Array([1]));
    one.transport.updatePeers(consenters(nodes.slice(0, 2)));
    expect(one.transport.peerStatus().map((p) => p.id)).toEqual([2]);
    const error = await one.transport.forwardSubmit('ch1', 3, new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', peer: 3 });
    expect(() => one.transport.sendConsensus('ch1', 3, heartbeat(1, 3, 1))).toThrow(AssertionError);
    await waitFor(() => !three.transport.isReachable(1), 'node 3 to see its stream ended');
    await waitFor(() => three.transport.peerStatus().find((p) => p.id === 1)!.state !== 'backing-off', 'node 3 to stop backing off');
    const refused = await three.transport.forwardSubmit('ch1', 1, new Uint8Array([2])).catch((e: unknown) => e);
    expect((refused as Error).message).toContain('it claims to be consenter 3, which is not a configured consenter');
    expect(await metricValue(one.transport, 'cluster_comm_stream_refused_count', { reason: 'unknown_consenter' })).toBeGreaterThanOrEqual(1);
  });
});
