// Channel removals in progress on this node (participation API), remembered
// in a small JSON file in the data directory. A removal deletes the channel's
// data after its chain stopped; a name is added before that and deleted once
// the data is gone, so a crash in between is finished at the next start
// instead of serving the half-removed channel again.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { RemovedChannelsFileError } from './errors.js';

/** Bound on the file: one entry per channel ever removed, at most this many. */
export const REMOVED_CHANNELS_MAX = 100_000;

export class RemovedChannels {
  readonly #file: string;
  readonly #names: Set<string>;

  constructor(file: string) {
    this.#file = file;
    this.#names = new Set(readNames(file));
  }

  has(name: string): boolean {
    return this.#names.has(name);
  }

  /** The names remembered, sorted. */
  names(): string[] {
    return [...this.#names].sort();
  }

  /** Durable before it returns (written to a temporary file, synced, renamed). */
  add(name: string): void {
    assert(this.#names.size < REMOVED_CHANNELS_MAX, `more than ${REMOVED_CHANNELS_MAX} removed channels`);
    this.#names.add(name);
    this.#write();
  }

  /** Durable before it returns; a name not remembered is a no-op. */
  delete(name: string): void {
    if (this.#names.delete(name)) this.#write();
  }

  #write(): void {
    const temporary = `${this.#file}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify({ removed: [...this.#names].sort() }, null, 1)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.#file);
  }
}

function readNames(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RemovedChannelsFileError(`cannot read the removed-channels file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RemovedChannelsFileError(`the removed-channels file ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const removed = (parsed as { removed?: unknown }).removed;
  if (!Array.isArray(removed) || !removed.every((n) => typeof n === 'string')) {
    throw new RemovedChannelsFileError(`the removed-channels file ${file} must be {"removed": [channel names]}`);
  }
  return removed as string[];
}
