// Durations written as Go's time.ParseDuration reads them ("500ms", "2s",
// "1m30s", "1.5h"), since Fabric's config files use that syntax.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_TEXT_MAX_CHARS = 64;
const TERM = /(\d*\.?\d*)([a-zµμ]+)/y;

/** Milliseconds of a Go duration string, or undefined when `text` is not one. May be fractional or negative. */
export function parseDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > DURATION_TEXT_MAX_CHARS) return undefined;
  let rest = text;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0; // Go accepts a bare zero without a unit
  if (rest === '') return undefined;
  let totalMs = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const start = TERM.lastIndex;
    const match = TERM.exec(rest);
    if (match === null || match.index !== start) return undefined;
    const [, number, unit] = match;
    const unitMs = UNIT_MS[unit!];
    if (number === '' || number === '.' || unitMs === undefined) return undefined;
    totalMs += Number(number) * unitMs;
  }
  return sign * totalMs;
}

/** A readable Go-style rendering of whole milliseconds, e.g. 90000 → "1m30s", 500 → "500ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}
