// The open-loop send tick: about 8 envelopes' worth of the rate, within
// 2..10 ms, unless the user fixes it (--tick-ms).

import { describe, expect, it } from 'vitest';
import { openLoopTickMs } from '../../../src/client/index.js';

describe('open-loop tick', () => {
  it('holds about 8 envelopes at the rate, within 2..10 ms', () => {
    expect(openLoopTickMs(1000)).toBe(8);
    expect(openLoopTickMs(4000)).toBe(2);
    expect(openLoopTickMs(50_000)).toBe(2);
    expect(openLoopTickMs(100)).toBe(10);
    expect(openLoopTickMs(0)).toBe(10);
  });

  it('is what the user fixed, whatever the rate', () => {
    expect(openLoopTickMs(1000, 1)).toBe(1);
    expect(openLoopTickMs(50_000, 20)).toBe(20);
  });
});
