import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoDurationMs, parseGoDurationMs } from '../../../src/block/configtx/duration.js';

describe('Go durations', () => {
  it.each([
    ['2s', 2000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
    ['0', 0],
    ['250000us', 250],
    ['1h0m0.5s', 3_600_500],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseGoDurationMs(text)).toBe(ms);
  });

  it.each(['', 's', '2', '2 s', 'soon', '1x'])('refuses %j as Go does', (text) => {
    expect(parseGoDurationMs(text)).toBeUndefined();
  });

  it("formats as Go's Duration.String for whole milliseconds", () => {
    expect([0, 500, 2000, 1500, 90_000, 3_600_000].map(formatGoDurationMs)).toEqual(['0s', '500ms', '2s', '1.5s', '1m30s', '1h0m0s']);
  });

  it('property: parse(format(ms)) = ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => parseGoDurationMs(formatGoDurationMs(ms)) === ms),
      { seed: 7 },
    );
  });
});
