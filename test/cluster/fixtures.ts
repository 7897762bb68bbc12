// Shared set-up of the cluster tests: TLS material from the dev PKI, silent
// loggers, recording channel handlers, and a polling wait with a deadline.

import pino, { type Logger } from 'pino';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { GrpcClusterTransport } from '../../src/cluster/transport.js';
import type { ClusterTransportOptions } from '../../src/cluster/options.js';
import type { ClusterChannelHandler, ClusterPeer } from '../../src/cluster/types.js';
import { MessageType, type Message } from '../../src/raft/types.js';

export interface TlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

export class TestPki {
  readonly org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') });

  get caPem(): string {
    return this.org.root.certPem;
  }

  /** A TLS certificate for consenter `id` (by default valid for loopback), with a fresh key. */
  issueTls(id: number, subjectAltNames: readonly string[] = ['localhost', '127.0.0.1']): TlsMaterial {
    const member = this.org.issueMember(`orderer${id}.example.com`, {
      subjectAltNames,
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
    });
    return { certPem: member.certPem, keyPem: member.signer.exportPrivateKeyPem() };
  }
}

/** Silent unless CLUSTER_TEST_LOG names a pino level (e.g. CLUSTER_TEST_LOG=debug). */
export function testLogger(): Logger {
  return pino({ level: process.env['CLUSTER_TEST_LOG'] ?? 'silent' });
}

export interface TestNode {
  readonly id: number;
  tls: TlsMaterial;
  transport: GrpcClusterTransport;
  readonly handler: RecordingHandler;
}

export type NodeOverrides = Partial<Omit<ClusterTransportOptions, 'selfId' | 'tls' | 'logger' | 'peers'>>;

/** Starts a transport for consenter `id` on a free loopback port, with no peers yet. */
export async function startTransport(pki: TestPki, id: number, tls: TlsMaterial, overrides: NodeOverrides = {}, port = 0): Promise<GrpcClusterTransport> {
  return GrpcClusterTransport.start({
    selfId: id,
    listenAddress: `127.0.0.1:${port}`,
    tls: { certPem: tls.certPem, keyPem: tls.keyPem, caPems: [pki.caPem] },
    peers: [],
    logger: testLogger(),
    reconnectBackoffMinMs: 20,
    reconnectBackoffMaxMs: 200,
    submitTimeoutMs: 5000,
    ...overrides,
  });
}

/** `count` nodes that all know each other (the full consenter list, self included, as a chain would pass it). */
export async function startCluster(pki: TestPki, count: number, overrides: NodeOverrides = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let id = 1; id <= count; id++) {
    const tls = pki.issueTls(id);
    const transport = await startTransport(pki, id, tls, overrides);
    const handler = new RecordingHandler();
    transport.setHandler('ch1', handler);
    nodes.push({ id, tls, transport, handler });
  }
  const peers = consenters(nodes);
  for (const node of nodes) node.transport.updatePeers(peers);
  return nodes;
}

export function consenters(nodes: readonly TestNode[]): ClusterPeer[] {
  return nodes.map((n) => ({ id: n.id, address: `127.0.0.1:${n.transport.port}`, tlsCertPem: n.tls.certPem }));
}

export class RecordingHandler implements ClusterChannelHandler {
  readonly consensus: Array<{ from: number; message: Message }> = [];
  readonly submits: Array<{ from: number; envelope: Uint8Array }> = [];
  /** What onSubmit does with an envelope; default: accept. */
  decide: (envelope: Uint8Array) => Promise<void> = () => Promise.resolve();

  onConsensus(from: number, message: Message): void {
    this.consensus.push({ from, message });
  }

  onSubmit(from: number, envelope: Uint8Array): Promise<void> {
    this.submits.push({ from, envelope });
    return this.decide(envelope);
  }
}

export function heartbeat(from: number, to: number, term: number, commit = 0): Message {
  return { type: MessageType.MsgHeartbeat, to, from, term, logTerm: 0, index: 0, entries: [], commit, reject: false, rejectHint: 0 };
}

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs` (a bound, not a timing assertion). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads a counter or gauge value with these labels from a transport's registry (0 if never set). */
export async function metricValue(transport: GrpcClusterTransport, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = transport.metricsRegistry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((sum, v) => sum + v.value, 0);
}

export async function closeAll(nodes: readonly { transport: GrpcClusterTransport }[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.close()));
}
