// Long fuzzing runs: mutated inputs over every decoder of outside bytes, then
// over a live Broadcast/Deliver server on 127.0.0.1 (a one-node chain checking
// envelopes in the worker pool). Prints per-target figures, the live server's
// statuses, CPU per input, peak RSS and the machine; exits 1 on any defect
// (an exception no layer names, an improper status, a failed stream, an
// honest envelope refused, an error logged by the orderer, RSS over the bound).
//
//   npm run fuzz -- --inputs 1000000 [--server-inputs 200000] [--seed 42] [--rss-max-mb 1536]
//
// --inputs counts decoder inputs, --server-inputs live ones (default a fifth
// of --inputs). A defect prints its target, seed index, mutations and input
// (base64), so `--seed` with the same counts replays the run.

import { buildTargets } from './fuzz/targets.js';
import { runDecoders } from './fuzz/decoderRun.js';
import { seededRandom } from './fuzz/mutate.js';
import { runServer } from './fuzz/serverRun.js';
import { describeMachine } from '../bench/lib/machine.js';
import { intFlag, parseFlags } from '../src/cli/index.js';

const MB = 1024 * 1024;

class RssSampler {
  readonly startMb = process.memoryUsage().rss / MB;
  maxMb = this.startMb;
  readonly #timer = setInterval(() => this.sample(), 250);

  sample(): number {
    const mb = process.memoryUsage().rss / MB;
    this.maxMb = Math.max(this.maxMb, mb);
    return mb;
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.sample();
  }
}

async function main(): Promise<number> {
  const flags = parseFlags('fuzz', process.argv.slice(2), {
    inputs: { type: 'string' },
    'server-inputs': { type: 'string' },
    seed: { type: 'string' },
    'rss-max-mb': { type: 'string' },
  });
  const inputs = intFlag(flags, 'inputs', 1_000_000, 0, 1e9);
  const serverInputs = intFlag(flags, 'server-inputs', Math.floor(inputs / 5), 0, 1e9);
  const seed = intFlag(flags, 'seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1);
  const rssMaxMb = intFlag(flags, 'rss-max-mb', 1536, 64, 65536);
  console.log(`fuzz: ${inputs} decoder inputs, ${serverInputs} live server inputs, seed ${seed}`);
  console.log(`machine: ${describeMachine()}`);
  const rss = new RssSampler();
  let defects = 0;

  const targets = buildTargets();
  const wallStart = Date.now();
  const decoders = await runDecoders(targets, inputs, seededRandom(seed), (done) =>
    console.log(`  decoders: ${done} inputs, rss ${rss.sample().toFixed(0)} MB`),
  );
  console.log(`\ndecoders (${((Date.now() - wallStart) / 1000).toFixed(1)} s wall):`);
  console.log('| target | layer | inputs | decoded | refused (typed) | defects | CPU µs/input |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const f of decoders.figures) {
    console.log(`| ${f.name} | ${f.layer} | ${f.inputs} | ${f.decoded} | ${f.refused} | ${f.defects} | ${(f.cpuMicros / Math.max(1, f.inputs)).toFixed(1)} |`);
    defects += f.defects;
  }
  for (const d of decoders.defects) console.log(`DEFECT ${JSON.stringify(d)}`);
  const decoderRssMb = rss.sample();

  if (serverInputs > 0) {
    const serverStart = Date.now();
    const server = await runServer({
      inputs: serverInputs,
      random: seededRandom(seed ^ 0x5eed),
      onProgress: (done) => console.log(`  server: ${done} answers, rss ${rss.sample().toFixed(0)} MB`),
    });
    const total = server.broadcastInputs + server.deliverInputs + server.honestSent;
    console.log(
      `\nlive server (${((Date.now() - serverStart) / 1000).toFixed(1)} s wall): ${server.broadcastInputs} mutated Broadcast envelopes, ${server.deliverInputs} mutated Deliver requests`,
    );
    const list = (statuses: Map<string, number>): string => [...statuses].map(([s, n]) => `${s} ${n}`).join(', ');
    console.log(`  Broadcast answers: ${list(server.broadcastStatuses)}`);
    console.log(`  Deliver final statuses: ${list(server.deliverStatuses)}`);
    console.log(`  honest envelopes among them: ${server.honestSucceeded} of ${server.honestSent} SUCCESS`);
    console.log(`  Deliver requests cancelled by the client while waiting/streaming: ${server.deliverCancelled}`);
    console.log(`  errors logged by the orderer: ${server.loggedErrors}`);
    console.log(`  CPU (client, server, pool; one process): ${(server.cpuMicros / Math.max(1, total)).toFixed(1)} µs per answer`);
    for (const d of server.defects) console.log(`DEFECT ${d}`);
    defects += server.defectCount;
  }
  const endMb = rss.stop();
  console.log(
    `\nRSS: start ${rss.startMb.toFixed(0)} MB, after decoders ${decoderRssMb.toFixed(0)} MB, peak ${rss.maxMb.toFixed(0)} MB, end ${endMb.toFixed(0)} MB (bound ${rssMaxMb} MB)`,
  );
  if (rss.maxMb > rssMaxMb) {
    console.log(`DEFECT peak RSS ${rss.maxMb.toFixed(0)} MB is over the bound`);
    defects++;
  }
  console.log(`\n${inputs + serverInputs} inputs, ${defects} defects, seed ${seed}`);
  return defects === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(2);
  },
);
