// Reading untyped config input (parsed YAML/JSON) into typed values, one
// field at a time. Every refusal is a ConfigError whose message starts with
// the field's path and states the rule: "<path> must be <rule>, got <value>".

import { parseByteSize } from './byteSize.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

/** Path of `key` under `path` ("" is the top). */
export function fieldPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

const SHOWN_VALUE_MAX_CHARS = 80;

/** The offending value, bounded, for messages. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    // Values from YAML/JSON always serialize; anything else (cycles) is shown by type.
    text = `a ${typeof value}`;
  }
  return text.length <= SHOWN_VALUE_MAX_CHARS ? text : `${text.slice(0, SHOWN_VALUE_MAX_CHARS)}…`;
}

export function refuse(path: string, rule: string, value: unknown): never {
  throw new ConfigError(path, `${path} must be ${rule}, got ${shown(value)}`);
}

export function required(path: string, value: unknown): void {
  if (value === undefined || value === null) throw new ConfigError(path, `${path} is required`);
}

/**
 * A mapping whose keys are all in `knownKeys` (a misspelt key is an error,
 * with the intended key suggested when only its case differs).
 */
export function objectAt(path: string, value: unknown, knownKeys: readonly string[]): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(path === '' ? 'the config' : path, 'a mapping', value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (knownKeys.includes(key)) continue;
    const sameButCase = knownKeys.find((known) => known.toLowerCase() === key.toLowerCase());
    const hint = sameButCase ? ` (did you mean ${sameButCase}?)` : ` (known fields: ${knownKeys.join(', ')})`;
    const at = fieldPath(path, key);
    throw new ConfigError(at, `${at} is not a known field${hint}`);
  }
  return record;
}

export function arrayAt(path: string, value: unknown, minLength: number, maxLength: number): readonly unknown[] {
  if (!Array.isArray(value)) refuse(path, 'a list', value);
  if (value.length < minLength || value.length > maxLength) {
    const rule = minLength === maxLength ? `a list of ${minLength}` : `a list of ${minLength} to ${maxLength} entries`;
    throw new ConfigError(path, `${path} must be ${rule}, got ${value.length} entries`);
  }
  return value;
}

export interface StringRule {
  readonly pattern?: RegExp;
  /** Says what `pattern` requires, for the message. */
  readonly patternRule?: string;
  readonly maxLength?: number;
}

export function stringAt(path: string, value: unknown, rule: StringRule = {}): string {
  required(path, value);
  if (typeof value !== 'string' || value.length === 0) refuse(path, 'a non-empty string', value);
  const maxLength = rule.maxLength ?? 4096;
  if (value.length > maxLength) throw new ConfigError(path, `${path} must be at most ${maxLength} characters long, got ${value.length} characters`);
  if (rule.pattern && !rule.pattern.test(value)) refuse(path, rule.patternRule ?? `a string matching ${String(rule.pattern)}`, value);
  return value;
}

export function integerAt(path: string, value: unknown, min: number, max: number): number {
  required(path, value);
  if (typeof value !== 'number' || !Number.isInteger(value)) refuse(path, 'an integer', value);
  if (value < min || value > max) refuse(path, `an integer in ${min}..${max}`, value);
  return value;
}

export function booleanAt(path: string, value: unknown): boolean {
  required(path, value);
  if (typeof value !== 'boolean') refuse(path, 'true or false', value);
  return value;
}

export function oneOfAt<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  required(path, value);
  if (typeof value !== 'string' || !allowed.includes(value as T)) refuse(path, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

/** A Go duration string ("500ms", "2s") in [minMs, maxMs], as whole milliseconds. */
export function durationMsAt(path: string, value: unknown, minMs: number, maxMs: number): number {
  required(path, value);
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) refuse(path, 'a duration such as "500ms", "2s" or "10m"', value);
  if (!Number.isInteger(ms)) refuse(path, 'a whole number of milliseconds', value);
  if (ms < minMs || ms > maxMs) refuse(path, `between ${minMs}ms and ${maxMs}ms`, value);
  return ms;
}

/** An integer number of bytes or a size string ("10 MB" = 10 MiB, as Fabric reads it) in [min, max]. */
export function byteSizeAt(path: string, value: unknown, min: number, max: number): number {
  required(path, value);
  const bytes = typeof value === 'number' && Number.isSafeInteger(value) ? value : typeof value === 'string' ? parseByteSize(value) : undefined;
  if (bytes === undefined) refuse(path, 'a byte count or a size such as "10 MB"', value);
  if (bytes < min || bytes > max) refuse(path, `between ${min} and ${max} bytes`, value);
  return bytes;
}
