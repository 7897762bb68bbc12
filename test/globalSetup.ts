// Before any test file: compile the sources to dist/ (scripts/build/compile.ts,
// ~2 s; only changed files are written), so the e2e tests' orderer processes
// run the code under test, compiled (test/e2e/ordererRuntime.ts).

import { compileDist } from '../scripts/build/compile.js';

export default async function setup(): Promise<void> {
  await compileDist();
}
