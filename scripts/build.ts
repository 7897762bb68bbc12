// `npm run build`: compiles src/ to dist/ (scripts/build/compile.ts); run the
// result with `node dist/src/cli/main.js` (package.json "bin": `orderer`).

import path from 'node:path';
import { compileDist, REPO_ROOT } from './build/compile.js';

const result = await compileDist();
const dist = path.relative(REPO_ROOT, result.outDir);
const changes = `${result.written} written, ${result.removed} removed`;
process.stdout.write(
  `compiled ${result.files} files into ${dist}/ in ${result.ms.toFixed(0)} ms (${changes}): node ${path.relative(REPO_ROOT, result.main)}\n`,
);
