// The load harness's own cost: `orderer bench`'s library against a stub
// orderer in another process (it acknowledges at once and cuts a block of
// everything every 100 ms), so the figure is the harness alone — CPU of
// every thread of the harness process (signing runs in processes of its own)
// per envelope sent, acknowledged and seen committed, which must stay ≤ 15 µs
// for the harness not to measure itself. --presign N signs only N ahead and
// the rest while the run goes on.
//
//   npm run bench:harness [-- --duration-s 10 --backlog 512 --rate 0 --tick-ms N --streams 4 --presign N --generator bench|load]
//
// --generator load measures instead runLoad (src/client/load.ts, on grpc-js:
// the end-to-end tests and bench:failover), 4 streams x 128 outstanding,
// cycling a pre-signed pool, acknowledgements only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { choiceFlag, freeNodePorts, intFlag, keygen, parseFlags } from '../src/cli/index.js';
import {
  connectAtomicBroadcast,
  createEnvelopePool,
  EnvelopeSupply,
  externalTarget,
  loadCreator,
  readMainThread,
  runBench,
  runLoad,
  type Schedule,
} from '../src/client/index.js';
import { describeMachine } from './lib/machine.js';

const flags = parseFlags('bench:harness', process.argv.slice(2), {
  'duration-s': { type: 'string' },
  backlog: { type: 'string' },
  rate: { type: 'string' },
  streams: { type: 'string' },
  generator: { type: 'string' },
  'tick-ms': { type: 'string' },
  presign: { type: 'string' },
});
const generator = choiceFlag(flags, 'generator', ['bench', 'load'] as const, 'bench');
const durationS = intFlag(flags, 'duration-s', 10, 1, 600);
const backlog = intFlag(flags, 'backlog', 512, 1, 100_000);
const rate = intFlag(flags, 'rate', 0, 0, 1_000_000);
const streams = intFlag(flags, 'streams', 4, 1, 64);
const tickMs = flags['tick-ms'] === undefined ? undefined : intFlag(flags, 'tick-ms', 2, 1, 100);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-harness-'));
const manifest = keygen({ outDir: dir, nodes: 1, algorithm: 'ecdsa-p256', channelId: 'stub', ports: await freeNodePorts(1), engine: 'native' });
const stubScript = fileURLToPath(new URL('./lib/stubOrdererProcess.ts', import.meta.url));
const stub = spawn(process.execPath, ['--import', 'tsx', stubScript, '100'], { stdio: ['pipe', 'pipe', 'inherit'] });
const address = await new Promise<string>((resolve) => stub.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
const schedule: Schedule = {
  phases: [
    rate > 0 ? { kind: 'rate', name: `${rate} tx/s`, durationS, rate, toRate: rate } : { kind: 'backlog', name: `backlog ${backlog}`, durationS, backlog },
  ],
  faults: [],
};
if (generator === 'load') {
  const creator = loadCreator(path.join(dir, manifest.client.mspDir), manifest.client.mspId);
  const envelopes = createEnvelopePool({ channelId: 'stub', creator, count: 32_768 });
  const client = connectAtomicBroadcast(address);
  const before = readMainThread()!;
  const report = await runLoad({
    client,
    envelopes,
    streams,
    windowPerStream: 128,
    durationMs: durationS * 1000,
    once: false,
    ...(rate > 0 && { maxTxPerSec: rate }),
  });
  const cpuUs = readMainThread()!.cpuUs - before.cpuUs;
  console.log(`bench:harness --generator load on ${describeMachine()}`);
  console.log(
    `runLoad, ${streams} streams x 128 outstanding${rate > 0 ? `, at most ${rate} tx/s` : ''}, stub orderer in another process: ${report.succeeded} acknowledged in ${(report.elapsedMs / 1000).toFixed(1)} s ` +
      `(${Math.round(report.acknowledgedTxPerSec)}/s); main thread ${(cpuUs / report.succeeded).toFixed(1)} µs CPU per envelope`,
  );
  client.close();
  stub.stdin!.end();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const target = await externalTarget({
  endpoints: [address],
  channelId: 'stub',
  mspDir: path.join(dir, manifest.client.mspDir),
  mspId: manifest.client.mspId,
  envelopeBytes: 1024,
});
const supply = new EnvelopeSupply(target.signer);
try {
  const count = intFlag(flags, 'presign', rate > 0 ? Math.ceil(rate * durationS * 1.02) + 100 : 50_000 * durationS, 100, 5_000_000);
  await supply.prepare(count);
  const run = await runBench({
    target,
    schedule,
    role: 'all',
    streamsPerNode: streams,
    maxOutstanding: 20_000,
    supply,
    // Fewer signed ahead than the run needs: the workers sign the rest while it runs.
    ...(flags['presign'] !== undefined && { refill: true }),
    ...(tickMs !== undefined && { tickMs }),
  });
  const h = run.harness;
  console.log(`bench:harness on ${describeMachine()}`);
  console.log(
    `${schedule.phases[0]!.name}${rate > 0 ? `, tick ${tickMs === undefined ? 'by rate' : `${tickMs} ms`}` : ''}, ${streams} streams, 1 KiB P-256 envelopes (signed ahead), stub orderer in another process: ` +
      `${run.total.acknowledged} acknowledged, ${run.total.committedOwn} seen committed in ${(run.elapsedMs / 1000).toFixed(1)} s ` +
      `(${Math.round(run.total.acknowledged / (run.elapsedMs / 1000))}/s), ack p50/p99 ${run.total.ack.p50}/${run.total.ack.p99} ms from the intended send; harness ${h.harnessUsPerEnvelope?.toFixed(1)} µs CPU per envelope ` +
      `(every thread of the harness process; main thread ${h.mainThreadUsPerEnvelope?.toFixed(1)} µs, V8 platform threads ${h.platformUsPerEnvelope?.toFixed(1)} µs, other threads ${h.otherThreadsUsPerEnvelope?.toFixed(1)} µs; signing on the fly, in processes of its own, ${h.signingUsPerEnvelope?.toFixed(1)} µs); signed during the run ${run.supply.signedDuringRun}, starved ${run.supply.starved}` +
      (h.steady === undefined
        ? ''
        : `; at steady state (from ${h.steady.fromS} s): harness ${h.steady.harnessUsPerEnvelope?.toFixed(1)} µs, main thread ${h.steady.mainThreadUsPerEnvelope?.toFixed(1)} µs, V8 platform threads ${h.steady.platformUsPerEnvelope?.toFixed(1)} µs`),
  );
} finally {
  await supply.close();
  await target.close();
  stub.stdin!.end();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
