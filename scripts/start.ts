// `npm start`: local 3-node cluster + steady load + live view (src/cli/dev/demo.ts).
// The orderers run compiled, as in production: dist/ is built first, so it is never stale.

import { CliUsageError } from '../src/cli/index.js';
import { demo, DEMO_USAGE } from '../src/cli/index.js';
import { OrdererError } from '../src/errors.js';
import { compileDist } from './build/compile.js';

let code: number;
try {
  await compileDist();
  code = await demo(process.argv.slice(2), { runtime: 'compiled' });
} catch (error) {
  if (!(error instanceof OrdererError)) throw error;
  process.stderr.write(`npm start: ${error.code}: ${error.message}\n${error instanceof CliUsageError ? `usage: ${DEMO_USAGE}\n` : ''}`);
  code = error instanceof CliUsageError ? 2 : 1;
}
process.exit(code);
