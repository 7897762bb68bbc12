// Cluster TLS is not tied to ECDSA P-256: the transport runs on Node's TLS
// (OpenSSL), so the RSA and ECDSA P-384 certificates a Fabric CA issues work
// for mutual TLS and for consenter pinning alike. (SM2 does not: Node's TLS
// has no SM2 suites, see options.test.ts and PROTOCOL.md "Known limits".)
//
// The fixtures under tls/ were made once with the openssl CLI (valid until 2126):
//   openssl req -x509 -newkey rsa:2048 | -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -sha384 ... (CA: basicConstraints CA:TRUE)
//   openssl x509 -req -CA <kind>-ca.crt ... (SAN localhost, 127.0.0.1; serverAuth, clientAuth) ; openssl pkcs8 -topk8 -nocrypt
// node1..3 of a kind share its CA; node3 is a second key of the same CA, for pinning.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { validateClusterOptions } from '../../src/cluster/options.js';
import { GrpcClusterTransport } from '../../src/cluster/transport.js';
import type { ClusterPeer } from '../../src/cluster/types.js';
import { RecordingHandler, heartbeat, metricValue, testLogger, waitFor } from './fixtures.js';

const TLS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls');
const read = (file: string): string => fs.readFileSync(path.join(TLS_DIR, file), 'utf8');

type Kind = 'rsa' | 'p384';
interface Node {
  readonly id: number;
  readonly certPem: string;
  readonly transport: GrpcClusterTransport;
  readonly handler: RecordingHandler;
}

let started: Node[] = [];
afterEach(async () => {
  await Promise.all(started.map((n) => n.transport.close()));
  started = [];
});

/** Consenter `id` of a kind, presenting the certificate and key of `presented` (default: its own). */
async function startNode(kind: Kind, id: number, presented = id): Promise<Node> {
  const certPem = read(`${kind}-node${presented}.crt`);
  const transport = await GrpcClusterTransport.start({
    selfId: id,
    listenAddress: '127.0.0.1:0',
    tls: { certPem, keyPem: read(`${kind}-node${presented}.key`), caPems: [read(`${kind}-ca.crt`)] },
    peers: [],
    logger: testLogger(),
    reconnectBackoffMinMs: 20,
    reconnectBackoffMaxMs: 200,
    submitTimeoutMs: 5000,
  });
  const handler = new RecordingHandler();
  transport.setHandler('ch1', handler);
  const node = { id, certPem, transport, handler };
  started.push(node);
  return node;
}

const peerOf = (node: Node, pinnedCertPem = node.certPem): ClusterPeer => ({
  id: node.id,
  address: `127.0.0.1:${node.transport.port}`,
  tlsCertPem: pinnedCertPem,
});

describe.each([
  ['RSA 2048 (sha256WithRSAEncryption)', 'rsa'],
  ['ECDSA P-384 (ecdsa-with-SHA384)', 'p384'],
] as const)('cluster TLS with %s certificates', (_name, kind) => {
  test('options validate, and two consenters exchange Raft messages and a forwarded submit both ways', async () => {
    const tls = { certPem: read(`${kind}-node1.crt`), keyPem: read(`${kind}-node1.key`), caPems: [read(`${kind}-ca.crt`)] };
    expect(validateClusterOptions({ selfId: 1, listenAddress: '127.0.0.1:0', tls, peers: [], logger: testLogger() }).tls.certPem).toBe(tls.certPem);
    const one = await startNode(kind, 1);
    const two = await startNode(kind, 2);
    const peers = [peerOf(one), peerOf(two)];
    one.transport.updatePeers(peers);
    two.transport.updatePeers(peers);
    one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 3));
    two.transport.sendConsensus('ch1', 1, heartbeat(2, 1, 4));
    await waitFor(() => two.handler.consensus.length > 0 && one.handler.consensus.length > 0, 'a heartbeat each way');
    expect(two.handler.consensus[0]).toMatchObject({ from: 1, message: { term: 3 } });
    expect(one.handler.consensus[0]).toMatchObject({ from: 2, message: { term: 4 } });
    await two.transport.forwardSubmit('ch1', 1, Uint8Array.of(7, 7));
    expect(one.handler.submits.map((s) => [s.from, [...s.envelope]])).toEqual([[2, [7, 7]]]);
  });

  test('pinning refuses a consenter presenting another key of the same CA', async () => {
    const one = await startNode(kind, 1);
    const impostor = await startNode(kind, 2, 3); // consenter 2 dials with node3's certificate
    const genuineTwo = read(`${kind}-node2.crt`);
    one.transport.updatePeers([peerOf(one), peerOf(impostor, genuineTwo)]);
    impostor.transport.updatePeers([peerOf(one), peerOf(impostor)]);
    const error = await impostor.transport.forwardSubmit('ch1', 1, Uint8Array.of(1)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/claims to be consenter 2 but its TLS certificate's public key .* is not the one pinned/);
    expect(one.handler.submits).toEqual([]);
    expect(await metricValue(one.transport, 'cluster_comm_stream_refused_count', { direction: 'ingress', reason: 'pin_mismatch' })).toBe(1);
  });
});
