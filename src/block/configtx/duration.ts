// Go time.Duration strings, as Fabric writes BatchTimeout ("2s") and etcdraft
// TickInterval ("500ms"): parsed to whole milliseconds (the orderer's unit for
// timers) and formatted as Go's Duration.String() would for whole milliseconds.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const TERM = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Milliseconds of a Go duration string, or undefined if Go's time.ParseDuration would refuse it. Sub-millisecond remainders are rounded. */
export function parseGoDurationMs(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest.length === 0) return undefined;
  let totalMs = 0;
  while (rest.length > 0) {
    const match = TERM.exec(rest);
    if (match === null) return undefined;
    totalMs += Number.parseFloat(match[1]!) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  const ms = Math.round(sign * totalMs);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Go's Duration.String() for a whole number of milliseconds: "500ms", "2s", "1m30s", "1.5s". */
export function formatGoDurationMs(ms: number): string {
  if (!(Number.isSafeInteger(ms) && ms >= 0)) throw new RangeError(`duration must be a non-negative integer of milliseconds, got ${ms}`);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const secondsText = `${seconds}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
