// Piscina's `filename` for the signing workers: registers tsx for the worker
// thread (resolved from this file, so any working directory works) and loads
// the TypeScript task.
import { tsImport } from 'tsx/esm/api';

const entry = await tsImport('./signWorker.ts', import.meta.url);

export default entry.default;
