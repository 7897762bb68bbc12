// Runs etcd-raft interaction files against our Raft core.
// Usage: npm run raft:conformance -- <file.txt>...   (exit 1 if any fails)
import { describeFailures, runInteractionFile } from './raft-interaction/runner.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run raft:conformance -- <file.txt>...');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const r = runInteractionFile(file);
  if (r.failures.length === 0) {
    console.log(`PASS ${file} (${r.cases} commands)`);
  } else {
    failed++;
    console.log(describeFailures(r));
  }
}
console.log(`${files.length - failed} of ${files.length} files passed`);
process.exit(failed > 0 ? 1 : 0);
