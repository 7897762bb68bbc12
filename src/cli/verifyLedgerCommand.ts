// `npm run verify-ledger -- <dir> [--engine native|native-free] [--hash sha256|sm3]`
// Argument handling and file reading for the ledger verifier; returns the exit
// code (0 all blocks OK, 1 a block failed or none found, 2 bad usage) so it is
// testable without spawning a process.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createCryptoProvider } from '../crypto/index.js';
import type { Engine, HashAlgorithm } from '../crypto/index.js';
import { createCreatorKeyResolver } from '../block/index.js';
import { BLOCK_FILE_BYTES_MAX, formatSummary, ledgerFileNames, verifyLedgerFiles, type LedgerFile } from '../block/index.js';

export const VERIFY_LEDGER_USAGE = 'usage: verify-ledger <dir of NNN.block files> [--engine native|native-free] [--hash sha256|sm3]';

const ENGINES: readonly Engine[] = ['native', 'native-free'];
const HASHES: readonly HashAlgorithm[] = ['sha256', 'sm3'];

export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export function runVerifyLedger(argv: readonly string[], io: CommandIo): number {
  let dir: string;
  let engine: Engine;
  let hash: HashAlgorithm;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { engine: { type: 'string', default: 'native' }, hash: { type: 'string', default: 'sha256' } },
    });
    if (positionals.length !== 1) throw new Error(`expected one directory, got ${positionals.length} arguments`);
    if (!ENGINES.includes(values.engine as Engine)) throw new Error(`--engine must be one of ${ENGINES.join(', ')}, got "${values.engine}"`);
    if (!HASHES.includes(values.hash as HashAlgorithm)) throw new Error(`--hash must be one of ${HASHES.join(', ')}, got "${values.hash}"`);
    dir = positionals[0]!;
    engine = values.engine as Engine;
    hash = values.hash as HashAlgorithm;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    io.err(`verify-ledger: ${error.message}`);
    io.err(VERIFY_LEDGER_USAGE);
    return 2;
  }

  let names: string[];
  try {
    names = ledgerFileNames(readdirSync(dir));
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    io.err(`verify-ledger: cannot read directory ${dir}: ${error.message}`);
    return 2;
  }

  const crypto = createCryptoProvider(engine);
  io.out(`verifying ${names.length} blocks in ${dir} (engine ${engine}, hash ${hash})`);
  const summary = verifyLedgerFiles(
    readFiles(dir, names),
    { hasher: crypto.hasher(hash), verifier: (algorithm) => crypto.verifier(algorithm), creatorKey: createCreatorKeyResolver() },
    io.out,
  );
  io.out(formatSummary(summary));
  return summary.ok ? 0 : 1;
}

/** Reads block files one at a time, so memory stays bounded by the largest block. */
function* readFiles(dir: string, names: readonly string[]): Generator<LedgerFile> {
  for (const name of names) {
    yield readBlockFile(path.join(dir, name), name);
  }
}

function readBlockFile(file: string, name: string): LedgerFile {
  try {
    const size = statSync(file).size;
    if (size > BLOCK_FILE_BYTES_MAX) return { name, unreadable: `${size} bytes, more than the ${BLOCK_FILE_BYTES_MAX} a block file may have` };
    return { name, bytes: new Uint8Array(readFileSync(file)) };
  } catch (error) {
    // An I/O error on one file is that block's failure; the rest are still checked.
    if (!(error instanceof Error)) throw error;
    return { name, unreadable: error.message };
  }
}
