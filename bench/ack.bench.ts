// What a committed acknowledgement costs a client: Broadcast latency per
// envelope (send → answer) and acknowledged envelopes/s on one pipelined
// stream, `orderer-ack: accepted` (Fabric's meaning: in the leader's block
// cutter) vs `orderer-ack: committed` (its block committed by a Raft quorum),
// to the leader and to a follower, on a local 3-process cluster with a short
// batch timeout (the committed answer waits for the block to be cut).
//
//   npm run bench:ack [-- --window-s 8 --window 32 --batch-timeout-ms 200 --rate 400]
//
// Three orderers and this client share the machine: figures are printed with it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Status } from '../src/block/index.js';
import { address, clientMsp, clientTls, freeNodePorts, intFlag, keygen, LocalCluster, parseFlags } from '../src/cli/index.js';
import { BroadcastStream, connectAtomicBroadcast, createEnvelopePool, loadClientCreator, type SignedEnvelope } from '../src/client/index.js';
import { describeMachine } from './lib/machine.js';

const flags = parseFlags('bench:ack', process.argv.slice(2), {
  'window-s': { type: 'string' },
  window: { type: 'string' },
  'batch-timeout-ms': { type: 'string' },
  rate: { type: 'string' },
});
const windowS = intFlag(flags, 'window-s', 8, 1, 600);
const window = intFlag(flags, 'window', 32, 1, 4096);
const batchTimeoutMs = intFlag(flags, 'batch-timeout-ms', 200, 10, 10_000);
const rate = intFlag(flags, 'rate', 400, 1, 100_000);

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** One cell: `mode` to node `node` for windowS seconds at most `rate` envelopes/s, `window` in flight. */
async function cell(client: grpc.Client, pool: readonly SignedEnvelope[], mode: 'accepted' | 'committed'): Promise<string> {
  const metadata = new grpc.Metadata();
  metadata.set('orderer-ack', mode);
  const stream = new BroadcastStream(client, metadata);
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  let next = 0;
  let inFlight = 0;
  const start = performance.now();
  const end = start + windowS * 1000;
  while (performance.now() < end && next < pool.length) {
    if (inFlight >= window || next >= ((performance.now() - start) / 1000) * rate) {
      await sleep(2);
      continue;
    }
    const sentAt = performance.now();
    inFlight++;
    void stream.send(pool[next++]!.bytes).then((r) => {
      inFlight--;
      if (r.status === Status.SUCCESS) latencies.push(performance.now() - sentAt);
      else refused[Status[r.status] ?? String(r.status)] = (refused[Status[r.status] ?? ''] ?? 0) + 1;
    });
  }
  await stream.end();
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const f = (ms: number): string => ms.toFixed(1).padStart(7);
  return `${mode.padEnd(9)} acked ${String(latencies.length).padStart(6)} (${(latencies.length / elapsed).toFixed(0).padStart(5)}/s)  latency ms p50 ${f(quantile(latencies, 0.5))} p90 ${f(quantile(latencies, 0.9))} p99 ${f(quantile(latencies, 0.99))}${Object.keys(refused).length > 0 ? `  refused ${JSON.stringify(refused)}` : ''}`;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ack-'));
const manifest = keygen({
  outDir: dir,
  nodes: 3,
  algorithm: 'ecdsa-p256',
  channelId: 'bench',
  ports: await freeNodePorts(3),
  engine: 'native',
  tickIntervalMs: 100,
  electionTick: 10,
  batchTimeoutMs,
  maxMessageCount: 100,
});
const cluster = new LocalCluster(dir);
try {
  cluster.startAll();
  await cluster.waitHealthy(120_000);
  const leader = await cluster.waitLeader(30_000);
  const follower = manifest.nodes.find((n) => n.id !== leader)!.id;
  const creator = loadClientCreator(clientMsp(dir, manifest));
  console.log(
    `${describeMachine()}\n3 orderer processes, batch timeout ${batchTimeoutMs} ms, max 100 per block; one stream, ${window} in flight, at most ${rate}/s, ${windowS} s per cell`,
  );
  for (const [role, id] of [
    ['leader', leader],
    ['follower', follower],
  ] as const) {
    const client = connectAtomicBroadcast(address(cluster.node(id), 'client'), clientTls(dir, manifest));
    for (const mode of ['accepted', 'committed', 'accepted', 'committed'] as const) {
      const pool = createEnvelopePool({ channelId: 'bench', creator, count: Math.min(65_536, rate * windowS + window), envelopeBytes: 1024 });
      console.log(`to the ${role.padEnd(8)} ${await cell(client, pool, mode)}`);
    }
    client.close();
  }
} finally {
  await cluster.stopAll(10_000);
  fs.rmSync(dir, { recursive: true, force: true });
}
