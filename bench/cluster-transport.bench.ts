// Loopback throughput of the cluster transport: two GrpcClusterTransports in
// this process over mutual TLS on 127.0.0.1 (both ends share one core's event
// loop, so these are lower bounds for two processes). Measures one-way
// consensus messages/s (heartbeats; MsgApp with one 1 KiB entry; MsgApp with
// one 256 KiB block) and forwarded-submit round trips/s with 256 in flight,
// each with the CPU this process spent per message (both ends).
//
//   npm run bench:transport [-- --messages=20000]
//
// The sender keeps its queue below its bound (a real chain sends at Raft's
// pace and drops are Raft's problem; here drops would only measure the bound).

import pino from 'pino';
import { DevOrganization } from '../src/crypto/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import { GrpcClusterTransport } from '../src/cluster/index.js';
import type { ClusterChannelHandler } from '../src/cluster/index.js';
import { EntryType, MessageType, type Message } from '../src/raft/index.js';
import { numberFlag } from './lib/flags.js';
import { describeMachine } from './lib/machine.js';

const QUEUE_FRAMES_MAX = 1000;

function consensus(type: MessageType, entryBytes: number, index: number): Message {
  const entries = entryBytes === 0 ? [] : [{ term: 2, index: index + 1, type: EntryType.Normal, data: new Uint8Array(entryBytes).fill(index % 256) }];
  return { type, to: 2, from: 1, term: 2, logTerm: 2, index, entries, commit: index, reject: false, rejectHint: 0 };
}

class CountingHandler implements ClusterChannelHandler {
  received = 0;
  onConsensus(): void {
    this.received++;
  }
  onSubmit(): Promise<void> {
    this.received++;
    return Promise.resolve();
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function oneWay(
  sender: GrpcClusterTransport,
  handler: CountingHandler,
  label: string,
  type: MessageType,
  entryBytes: number,
  count: number,
): Promise<Record<string, string>> {
  handler.received = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let sent = 0;
  while (handler.received < count) {
    const room = QUEUE_FRAMES_MAX - sender.peerStatus()[0]!.queuedFrames;
    for (let i = 0; i < room && sent < count; i++) sender.sendConsensus('bench', 2, consensus(type, entryBytes, sent++));
    await tick();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    workload: label,
    'messages/s': Math.round(count / seconds).toLocaleString('en-US'),
    'payload MB/s': entryBytes === 0 ? '-' : ((count * entryBytes) / seconds / 1e6).toFixed(1),
    'CPU µs/message': cpuPer(cpu, count),
  };
}

async function submits(sender: GrpcClusterTransport, handler: CountingHandler, count: number, inFlight: number): Promise<Record<string, string>> {
  handler.received = 0;
  const envelope = new Uint8Array(1024).fill(7);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let issued = 0;
  const worker = async () => {
    while (issued < count) {
      issued++;
      await sender.forwardSubmit('bench', 2, envelope);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    workload: `forwarded submit 1 KiB, ${inFlight} in flight`,
    'messages/s': Math.round(count / seconds).toLocaleString('en-US'),
    'payload MB/s': ((count * 1024) / seconds / 1e6).toFixed(1),
    'CPU µs/message': cpuPer(cpu, count),
  };
}

/** CPU of this process (both ends, every thread) per message since `start`: on a shared machine the figure to compare, not messages/s. */
function cpuPer(start: NodeJS.CpuUsage, count: number): string {
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / count).toFixed(1);
}

async function main(): Promise<void> {
  const count = numberFlag('messages', { fallback: 20_000, min: 100, max: 10_000_000, integer: true });
  const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') });
  const tls = [1, 2].map((id) => {
    const member = org.issueMember(`orderer${id}`, { subjectAltNames: ['127.0.0.1'], extendedKeyUsage: ['serverAuth', 'clientAuth'] });
    return { certPem: member.certPem, keyPem: member.signer.exportPrivateKeyPem(), caPems: [org.root.certPem] };
  });
  const logger = pino({ level: 'warn' });
  const transports = await Promise.all(
    tls.map((t, i) =>
      GrpcClusterTransport.start({ selfId: i + 1, listenAddress: '127.0.0.1:0', tls: t, peers: [], logger, sendQueueFramesMax: QUEUE_FRAMES_MAX }),
    ),
  );
  const peers = transports.map((t, i) => ({ id: i + 1, address: `127.0.0.1:${t.port}`, tlsCertPem: tls[i]!.certPem }));
  for (const t of transports) t.updatePeers(peers);
  const handler = new CountingHandler();
  transports[1]!.setHandler('bench', handler);
  const [sender] = transports as [GrpcClusterTransport, GrpcClusterTransport];
  try {
    await oneWay(sender, handler, 'warm-up', MessageType.MsgApp, 1024, Math.min(count, 5000));
    const rows = [
      await oneWay(sender, handler, 'heartbeat', MessageType.MsgHeartbeat, 0, count),
      await oneWay(sender, handler, 'MsgApp 1x1 KiB', MessageType.MsgApp, 1024, count),
      await oneWay(sender, handler, 'MsgApp 1x256 KiB', MessageType.MsgApp, 256 * 1024, Math.max(100, Math.floor(count / 50))),
      await submits(sender, handler, count, 256),
    ];
    const dropped = (await transports[0]!.metricsRegistry.getSingleMetric('cluster_comm_msg_dropped_count')!.get()).values.reduce((s, v) => s + v.value, 0);
    console.log(`machine: ${describeMachine()}`);
    console.log('both transports in one process over mutual TLS on 127.0.0.1; other processes on the machine depress these figures');
    console.table(rows);
    console.log(`consensus messages dropped: ${dropped}`);
  } finally {
    await Promise.all(transports.map((t) => t.close()));
  }
}

await main();
