// The signing process's entry point: registers tsx (resolved from this file,
// so any working directory works) and loads the TypeScript process body.
import { tsImport } from 'tsx/esm/api';

await tsImport('./signProcess.ts', import.meta.url);
