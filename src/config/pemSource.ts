// Certificates and keys given "as a path or as PEM": a value that starts with
// "-----BEGIN" is the PEM itself, anything else is a file path resolved from
// the directory of the config file that names it.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { arrayAt, stringAt } from './fields.js';

export type PemLabel = 'CERTIFICATE' | 'PRIVATE KEY';

/** Bound on one PEM file (a CA bundle is a few KiB). */
export const PEM_FILE_BYTES_MAX = 1024 * 1024;
const PEM_TEXT_MAX_CHARS = PEM_FILE_BYTES_MAX;

/** The PEM text of `value` (inline or read from its file); must hold at least one `label` block. */
export function pemAt(at: string, value: unknown, baseDir: string, label: PemLabel): string {
  const text = stringAt(at, value, { maxLength: PEM_TEXT_MAX_CHARS });
  const inline = text.trimStart().startsWith('-----BEGIN');
  const pem = inline ? text : readPemFile(at, path.resolve(baseDir, text));
  const hasBlock = new RegExp(`-----BEGIN [A-Z0-9 ]*${label}-----[\\s\\S]+?-----END [A-Z0-9 ]*${label}-----`).test(pem);
  if (!hasBlock) {
    const where = inline ? 'inline PEM' : `file ${path.resolve(baseDir, text)}`;
    throw new ConfigError(at, `${at} must be a PEM ${label.toLowerCase()} (or the path of one), but the ${where} holds no "-----BEGIN ...${label}-----" block`);
  }
  return pem;
}

/** A list of PEM sources, each inline or a file; `min`..`max` entries. */
export function pemListAt(at: string, value: unknown, baseDir: string, label: PemLabel, min: number, max: number): string[] {
  return arrayAt(at, value, min, max).map((entry, i) => pemAt(`${at}[${i}]`, entry, baseDir, label));
}

function readPemFile(at: string, file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new ConfigError(at, `${at} names file ${file}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  if (size > PEM_FILE_BYTES_MAX) throw new ConfigError(at, `${at} names file ${file} of ${size} bytes; a PEM file must be at most ${PEM_FILE_BYTES_MAX} bytes`);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(at, `${at} names file ${file}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}
