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
  readonly ms: number;
}

/** Empties `outDir` (no file of a deleted source survives) and compiles every .ts source into it. */
export async function compileDist(outDir = path.join(REPO_ROOT, 'dist')): Promise<CompileResult> {
  const started = performance.now();
  const entryPoints = SOURCE_DIRS.flatMap((dir) => tsFiles(path.join(REPO_ROOT, dir)));
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints,
    outdir: outDir,
    outbase: REPO_ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
  });
  return { outDir, main: path.join(outDir, 'src', 'cli', 'main.js'), files: entryPoints.length, ms: performance.now() - started };
}

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file))
    .sort();
}
