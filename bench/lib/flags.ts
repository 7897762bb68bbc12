// `--name=value` numeric flags of the benchmark scripts, bounded so a typo
// cannot start an hour-long run.

export interface NumberFlagRule {
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
  /** Whole numbers only (counts), not just finite ones (times). */
  readonly integer?: boolean;
}

/** The value of `--name=...` on the command line, or `rule.fallback`; throws RangeError naming the flag. */
export function numberFlag(name: string, rule: NumberFlagRule): number {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  const value = arg === undefined ? rule.fallback : Number(arg.slice(prefix.length));
  const wellFormed = rule.integer ? Number.isSafeInteger(value) : Number.isFinite(value);
  if (!wellFormed || value < rule.min || value > rule.max) {
    throw new RangeError(`--${name} must be ${rule.integer ? 'an integer' : 'a number'} in [${rule.min}, ${rule.max}]`);
  }
  return value;
}
