// `npm run nemesis -- [flags]` (options.ts): one seeded run against real
// orderer processes; prints the figures; exit code 1 on any failure, with the
// seed and the flags that replay it.

import { NemesisOptionsError, parseNemesisArgs } from './options.js';
import { formatReport } from './report.js';
import { runNemesis } from './run.js';

try {
  const options = parseNemesisArgs(process.argv.slice(2));
  console.log(`nemesis: seed ${options.seed} (replay with --seed ${options.seed})`);
  const report = await runNemesis(options, (line) => console.log(line));
  console.log(formatReport(report));
  process.exit(report.failures.length + report.verdict.failures.length === 0 ? 0 : 1);
} catch (err) {
  console.error(err instanceof NemesisOptionsError ? err.message : err);
  process.exit(2);
}
