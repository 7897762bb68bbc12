// Where an orderer thread's CPU goes, by component, from a perf profile:
//
//   ORDERER_NODE_FLAGS=--perf-basic-prof npx tsx bench/cluster.bench.ts --kills 0 ...
//   perf record -F 999 -g -p <orderer pid> -o perf.data -- sleep 11      # during the window
//   perf script -i perf.data -F comm,tid,ip,sym,dso > perf.txt
//   npx tsx scripts/perf-breakdown.ts perf.txt --tid <orderer pid> [--us-per-tx 47.3]
//
// --tid: the thread (an orderer's main thread has the process id as its tid);
// --us-per-tx: that thread's CPU per committed tx (bench:cluster prints it) to
// spread over the components. Components and their rule: scripts/perf/components.ts.
// The perf map names JavaScript frames by address, and V8 reuses addresses as
// it moves code: a few frames per thousand are misnamed, so read the shares to
// a percent or so (node --cpu-prof attributes JavaScript exactly, at a cost).

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { breakdown } from './perf/components.js';
import { readStacks } from './perf/stacks.js';

function usage(message: string): never {
  process.stderr.write(`perf-breakdown: ${message}\nusage: npx tsx scripts/perf-breakdown.ts <perf script output> [--tid N] [--us-per-tx X]\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({ options: { tid: { type: 'string' }, 'us-per-tx': { type: 'string' } }, allowPositionals: true });
if (positionals.length !== 1) usage('give one file, the output of `perf script -F comm,tid,ip,sym,dso`');
const tid = values.tid === undefined ? undefined : Number(values.tid);
if (tid !== undefined && !Number.isSafeInteger(tid)) usage(`--tid must be a thread id, got "${values.tid}"`);
const usPerTx = values['us-per-tx'] === undefined ? undefined : Number(values['us-per-tx']);
if (usPerTx !== undefined && !(usPerTx > 0)) usage(`--us-per-tx must be a positive number, got "${values['us-per-tx']}"`);

const stacks = readStacks(fs.readFileSync(positionals[0]!, 'utf8'), tid);
if (stacks.length === 0) usage(`no samples${tid === undefined ? '' : ` of thread ${tid}`} in ${positionals[0]}`);
console.log(`${stacks.length} samples${tid === undefined ? '' : ` of thread ${tid}`}`);
for (const row of breakdown(stacks)) {
  const us = usPerTx === undefined ? '' : `${(row.share * usPerTx).toFixed(1).padStart(6)} µs/tx  `;
  console.log(`${(100 * row.share).toFixed(1).padStart(5)}%  ${us}${row.component}`);
}
