// The real Fabric ledgers of test/fixtures/fabric (data, see its SOURCE.md),
// one protobuf common.Block per NNN.block file.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const fabricFixtures = fileURLToPath(new URL('../../test/fixtures/fabric', import.meta.url));
export const ledgerSampleDir = path.join(fabricFixtures, 'ledger-sample');
export const ledgerBadDir = path.join(fabricFixtures, 'ledger-bad');

/** The blocks of a ledger directory in block-number order. */
export function readLedgerBlocks(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => /^\d+\.block$/.test(f))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((f) => new Uint8Array(readFileSync(path.join(dir, f))));
}
