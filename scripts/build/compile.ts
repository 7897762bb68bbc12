// Compiles the orderer's TypeScript (src/ and the native-free/ fallbacks it
// imports) to plain JavaScript in dist/, one .js file per .ts file in the same
// layout, so `node dist/src/cli/main.js` runs with no transpiler in the process
// and every `new URL('./x.js', import.meta.url)` still finds its sibling (the
// worker pool loads dist/src/workers/worker.js next to the compiled pool).
// esbuild transpiles file by file (no bundling: lmdb, msgpackr and every other
// package stay imports resolved from node_modules); the type check is
// `npm run typecheck`'s job. The sources are isolatedModules +
// verbatimModuleSyntax, which is what makes file-by-file transpiling exact.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root (this file is scripts/build/compile.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['src', 'native-free'];

export interface CompileResult {
  readonly outDir: string;
  /** The compiled CLI entry: `node <main> start --config FILE`. */
  readonly main: string;
  readonly files: number;
  /** Files written (new or changed) and removed (their source is gone). */
  readonly written: number;
  readonly removed: number;
  readonly ms: number;
}

/**
 * Compiles every .ts source into `outDir`, touching only what changed: a file is written (to a
 * temporary name, then renamed over the old one) only when its bytes differ, and a file no source
 * produces any more is removed. Orderers already running from dist/, or a build racing this one
 * (a bench and a test in the same checkout), never see a missing or half-written file.
 */
export async function compileDist(outDir = path.join(REPO_ROOT, 'dist')): Promise<CompileResult> {
  const started = performance.now();
  const entryPoints = SOURCE_DIRS.flatMap((dir) => filesUnder(path.join(REPO_ROOT, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')));
  const result = await build({
    entryPoints,
    outdir: outDir,
    outbase: REPO_ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    write: false,
    logLevel: 'warning',
  });
  let written = 0;
  const produced = new Set<string>();
  for (const file of result.outputFiles) {
    produced.add(file.path);
    if (sameBytes(file.path, file.contents)) continue;
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.contents);
    fs.renameSync(temporary, file.path);
    written++;
  }
  let removed = 0;
  for (const file of filesUnder(outDir)) {
    if (produced.has(file) || file.endsWith('.tmp')) continue;
    fs.rmSync(file, { force: true });
    removed++;
  }
  return { outDir, main: path.join(outDir, 'src', 'cli', 'main.js'), files: entryPoints.length, written, removed, ms: performance.now() - started };
}

function sameBytes(file: string, contents: Uint8Array): boolean {
  try {
    return Buffer.from(contents).equals(fs.readFileSync(file));
  } catch {
    return false;
  }
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
