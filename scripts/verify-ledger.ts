// Verifies a directory of Fabric blocks (NNN.block, one marshaled common.Block
// each): `npm run verify-ledger -- <dir> [--engine native|native-free] [--hash sha256|sm3]`.
// Prints one line per block and a summary; exit 1 if any block fails.

import { runVerifyLedger } from '../src/cli/index.js';

process.exitCode = runVerifyLedger(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
