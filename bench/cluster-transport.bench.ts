// Loopback throughput of the cluster transport: two GrpcClusterTransports in
// this process over mutual TLS on 127.0.0.1 (both ends share one core's event
// loop, so these are lower bounds for two processes). Measures one-way
// consensus messages/s (heartbeats; MsgApp with one 1 KiB entry; MsgApp with
// one 256 KiB block) and forwarded-submit round trips/s with 256 in flight,
// each with the CPU this process spent per message (both ends).
//
//   npm run bench:transport [-- --messages=20000]
//
// The sender keeps its queue below both its bounds, frames and bytes (a real
// chain sends at Raft's pace and drops are Raft's problem; here drops would
// only measure the bounds). Should some be dropped all the same (a broken
// stream, a frame larger than estimated), a row ends once every message was
// received or counted in cluster_comm_msg_dropped_count, and says how many
// were dropped: they are not in its messages/s.

import pino from 'pino';
import { DevOrganization } from '../src/crypto/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import { GrpcClusterTransport } from '../src/cluster/index.js';
import type { ClusterChannelHandler } from '../src/cluster/index.js';
import { EntryType, MessageType, type Message } from '../src/raft/index.js';
import { numberFlag } from './lib/flags.js';
import { describeMachine } from './lib/machine.js';

const QUEUE_FRAMES_MAX = 1000;
const QUEUE_BYTES_MAX = 128 * 1024 * 1024;
/** More than a consensus frame's bytes beside its entry data (channel, message fields, msgpack headers). */
const FRAME_OVERHEAD_BYTES_MAX = 256;

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
  const droppedBefore = await droppedCount(sender);
  let dropped = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let sent = 0;
  // Drops are counted as they happen (queue full at send, queued frames of a broken stream): read only once all is sent.
  while (handler.received + dropped < count) {
    const { queuedFrames, queuedBytes } = sender.peerStatus()[0]!;
    const room = Math.min(QUEUE_FRAMES_MAX - queuedFrames, Math.floor((QUEUE_BYTES_MAX - queuedBytes) / (entryBytes + FRAME_OVERHEAD_BYTES_MAX)));
    for (let i = 0; i < room && sent < count; i++) sender.sendConsensus('bench', 2, consensus(type, entryBytes, sent++));
    await tick();
    if (sent === count) dropped = (await droppedCount(sender)) - droppedBefore;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const received = handler.received;
  return {
    workload: label,
    'messages/s': Math.round(received / seconds).toLocaleString('en-US'),
    'payload MB/s': entryBytes === 0 ? '-' : ((received * entryBytes) / seconds / 1e6).toFixed(1),
    'CPU µs/message': cpuPer(cpu, received),
    dropped: dropped.toLocaleString('en-US'),
  };
}

/** Consensus messages the sender dropped so far, every reason (cluster_comm_msg_dropped_count). */
async function droppedCount(sender: GrpcClusterTransport): Promise<number> {
  const metric = await sender.metricsRegistry.getSingleMetric('cluster_comm_msg_dropped_count')!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
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
    dropped: '-',
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
      GrpcClusterTransport.start({
        selfId: i + 1,
        listenAddress: '127.0.0.1:0',
        tls: t,
        peers: [],
        logger,
        sendQueueFramesMax: QUEUE_FRAMES_MAX,
        sendQueueBytesMax: QUEUE_BYTES_MAX,
      }),
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
    const dropped = await droppedCount(sender);
    console.log(`machine: ${describeMachine()}`);
    console.log('both transports in one process over mutual TLS on 127.0.0.1; other processes on the machine depress these figures');
    console.table(rows);
    console.log(`consensus messages dropped: ${dropped}`);
  } finally {
    await Promise.all(transports.map((t) => t.close()));
  }
}

await main();
