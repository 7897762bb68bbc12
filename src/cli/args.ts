// Command-line flags: node's own parseArgs (strict, so an unknown flag is an
// error) with typed, bounded value readers whose messages name the flag.

import { parseArgs } from 'node:util';
import { CliUsageError } from './errors.js';

export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }>>;

export type ParsedFlags = Readonly<Record<string, string | boolean | undefined>>;

/** Parses `argv` against `spec`; any flag not in `spec`, or a positional, is a CliUsageError naming it. */
export function parseFlags(subcommand: string, argv: readonly string[], spec: FlagSpec): ParsedFlags {
  try {
    const { values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false });
    return values as ParsedFlags;
  } catch (error) {
    // parseArgs' message already names the flag ("Unknown option '--nods'").
    throw new CliUsageError(`orderer ${subcommand}: ${(error as Error).message}`);
  }
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new CliUsageError(`--${name} needs a value`);
  return value;
}

export function requiredStringFlag(flags: ParsedFlags, name: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined) throw new CliUsageError(`--${name} is required`);
  return value;
}

/** An integer flag in [min, max]; `fallback` when absent. */
export function intFlag(flags: ParsedFlags, name: string, fallback: number, min: number, max: number): number {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliUsageError(`--${name} must be an integer in ${min}..${max}, got "${text}"`);
  }
  return value;
}

export function choiceFlag<T extends string>(flags: ParsedFlags, name: string, allowed: readonly T[], fallback: T): T {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new CliUsageError(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  }
  return text as T;
}
