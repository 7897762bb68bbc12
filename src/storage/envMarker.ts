// A marker file that says "an environment of this engine lives here". Without
// it, a data file lost or emptied by an operator mistake would open as a brand
// new, empty environment (committed data silently gone), and a directory
// opened with the other engine would look empty too. Written only after the
// engine created its files, so a crash during the first open leaves no marker
// that points at nothing.

import * as fs from 'node:fs';
import { join } from 'node:path';
import type { EngineName } from './backend.js';
import { StorageCorruptError, StorageOptionsError } from './errors.js';

const markerName = 'STORAGE.json';
const formatVersion = 1;

interface Marker {
  readonly format: number;
  readonly engine: EngineName;
}

/** The engine recorded in `dir`, or undefined for a new directory. Throws if it is not `engine`. */
export function checkMarker(dir: string, engine: EngineName): EngineName | undefined {
  const path = join(dir, markerName);
  if (!fs.existsSync(path)) return undefined;
  let marker: Marker;
  try {
    marker = JSON.parse(fs.readFileSync(path, 'utf8')) as Marker;
  } catch (err) {
    throw new StorageCorruptError({ file: path }, `unreadable storage marker: ${String(err)}`, { cause: err });
  }
  if (marker.format !== formatVersion || (marker.engine !== 'native' && marker.engine !== 'native-free')) {
    throw new StorageCorruptError({ file: path }, `unknown storage marker ${JSON.stringify(marker)}`);
  }
  if (marker.engine !== engine) {
    throw new StorageOptionsError(`options.engine is '${engine}' but ${dir} holds a '${marker.engine}' environment`);
  }
  return marker.engine;
}

/** Records the engine of `dir` (atomically: temp file, rename, directory sync). */
export function writeMarker(dir: string, engine: EngineName): void {
  const path = join(dir, markerName);
  if (fs.existsSync(path)) return;
  const tmp = `${path}.tmp`;
  const marker: Marker = { format: formatVersion, engine };
  fs.writeFileSync(tmp, JSON.stringify(marker));
  const fd = fs.openSync(tmp, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
