// Piscina's `filename` for the pool: registers tsx for this worker thread and
// loads the TypeScript worker entry. tsx is resolved from this file's location
// (not the process's cwd, as `--import tsx` would), so the pool works from
// `npx tsx`, from vitest and from any working directory.
import { tsImport } from 'tsx/esm/api';

const entry = await tsImport('./worker.ts', import.meta.url);

export default entry.default;
