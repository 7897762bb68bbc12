// Go duration and Fabric byte-size syntax.

import { describe, expect, it } from 'vitest';
import { formatDuration, parseByteSize, parseDuration } from '../../src/config/index.js';

describe('parseDuration (Go time.ParseDuration syntax)', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['2h45m', 9_900_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['-1.5h', -5_400_000],
    ['+3s', 3000],
    ['0', 0],
    ['1500us', 1.5],
    ['2000000ns', 2],
    ['1000µs', 1],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', '1x', 's', '.s', '1.2.3s', '2 s', ' 2s', '1h-1m', '-', '1S', 'x'.repeat(65)])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats whole milliseconds the way Go writes them', () => {
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000 + 1)).toBe('1h1ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it('formatDuration and parseDuration round-trip', () => {
    for (const ms of [1, 999, 1000, 61_001, 7_384_005]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('parseByteSize (Fabric: KB/MB/GB are 1024-based)', () => {
  it.each([
    ['10 MB', 10 * 1024 * 1024],
    ['2MB', 2 * 1024 * 1024],
    ['512 KB', 512 * 1024],
    ['20 MiB', 20 * 1024 * 1024],
    ['1 GB', 1024 ** 3],
    ['99', 99],
    ['7 B', 7],
    ['3 mb', 3 * 1024 * 1024],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'MB', '1.5 MB', '-1 MB', '10 TB', '10 megabytes', '1 000'])('%j is not a size', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});
