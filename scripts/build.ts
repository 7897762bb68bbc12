// `npm run build`: compiles src/ to dist/ (scripts/build/compile.ts); run the
// result with `node dist/src/cli/main.js` (package.json "bin": `orderer`).

import path from 'node:path';
import { compileDist, REPO_ROOT } from './build/compile.js';

const result = await compileDist();
process.stdout.write(
  `built ${result.files} files into ${path.relative(REPO_ROOT, result.outDir)}/ in ${result.ms.toFixed(0)} ms: node ${path.relative(REPO_ROOT, result.main)}\n`,
);
