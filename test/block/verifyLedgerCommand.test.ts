import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERIFY_LEDGER_USAGE, runVerifyLedger } from '../../src/cli/verifyLedgerCommand.js';
import { ledgerBadDir, ledgerSampleDir } from './fixtures.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runVerifyLedger(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('npm run verify-ledger', () => {
  it('the command exits 0 on ledger-sample and 1 on ledger-bad, naming blocks 0 and 1', () => {
    const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
    const script = path.join(repoRoot, 'scripts', 'verify-ledger.ts');
    const good = spawnSync(tsx, [script, ledgerSampleDir], { encoding: 'utf8', timeout: 60_000 });
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/8 blocks verified: all OK/);
    const bad = spawnSync(tsx, [script, ledgerBadDir, '--engine', 'native-free'], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^block +0 .* FAIL data hash mismatch/m);
    expect(bad.stdout).toMatch(/^block +1 .* FAIL previous hash mismatch/m);
    expect(bad.stdout).toMatch(/10 blocks verified: 2 FAILED \(000\.block, 001\.block\)/);
  });

  it('prints one line per block for both engines', () => {
    for (const engine of ['native', 'native-free']) {
      const result = run([ledgerSampleDir, '--engine', engine]);
      expect(result.code).toBe(0);
      expect(result.out.filter((l) => l.startsWith('block ')).length).toBe(8);
    }
  });

  it('with --hash sm3 every block of a SHA-256 ledger fails its data hash', () => {
    const result = run([ledgerSampleDir, '--hash', 'sm3']);
    expect(result.code).toBe(1);
    expect(result.out.filter((l) => / FAIL .*data hash mismatch/.test(l)).length).toBe(8);
  });

  it('reads block files in numeric order whatever their width, and ignores other files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'verify-ledger-'));
    try {
      for (let i = 0; i < 8; i++) copyFileSync(path.join(ledgerSampleDir, `00${i}.block`), path.join(dir, i === 7 ? '10.block' : `${i}.block`));
      copyFileSync(path.join(ledgerSampleDir, 'manifest.json'), path.join(dir, 'manifest.json'));
      const result = run([dir]);
      // Numeric order puts 10.block last (after 6.block): the chain holds. Lexical order would put it second and break it.
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a block file that cannot be read as that block's failure and checks the rest", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'verify-ledger-'));
    try {
      for (let i = 0; i < 3; i++) copyFileSync(path.join(ledgerSampleDir, `00${i}.block`), path.join(dir, `00${i}.block`));
      mkdirSync(path.join(dir, '003.block')); // a directory where a block file should be
      copyFileSync(path.join(ledgerSampleDir, '004.block'), path.join(dir, '004.block'));
      const result = run([dir]);
      expect(result.code).toBe(1);
      const lines = result.out.filter((l) => l.startsWith('block '));
      expect(lines.length).toBe(5);
      expect(lines[3]).toMatch(/FAIL unreadable block file: .*EISDIR/);
      // The chain restarts after an unreadable block: 004 is checked on its own.
      expect(lines[4]).toMatch(/^block +4 .* OK/);
      expect(result.out.at(-1)).toBe('5 blocks verified: 1 FAILED (003.block)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails on an empty directory and exits 2 on bad usage, naming the problem', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'verify-ledger-'));
    try {
      const empty = run([dir]);
      expect(empty.code).toBe(1);
      expect(empty.out.at(-1)).toBe('no NNN.block files found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const badEngine = run([ledgerSampleDir, '--engine', 'openssl']);
    expect(badEngine.code).toBe(2);
    expect(badEngine.err).toEqual(['verify-ledger: --engine must be one of native, native-free, got "openssl"', VERIFY_LEDGER_USAGE]);
    expect(run([]).code).toBe(2);
    expect(run([ledgerSampleDir, '--hash', 'md5']).err[0]).toMatch(/--hash must be one of sha256, sm3/);
    expect(run(['/nonexistent/dir']).err[0]).toMatch(/cannot read directory \/nonexistent\/dir/);
  });
});
