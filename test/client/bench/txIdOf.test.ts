// The harness reads tx ids from delivered blocks with a field walk; it must
// agree with the block layer's full envelope parse.

import { describe, expect, it } from 'vitest';
import { createSignedEnvelope, HeaderType, readEnvelopeFields } from '../../../src/block/index.js';
import { txIdOf } from '../../../src/client/bench/txIdOf.js';
import { GapTracker } from '../../../src/client/bench/gaps.js';

describe('txIdOf', () => {
  it('reads the same tx id as readEnvelopeFields, and empty for an envelope without one', () => {
    const unsigned = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'c', data: new Uint8Array(300), txId: 'ab'.repeat(32) });
    expect(txIdOf(unsigned)).toBe(readEnvelopeFields(unsigned).txId);
    expect(txIdOf(unsigned)).toBe('ab'.repeat(32));
    const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: 'c', data: new Uint8Array(10) });
    expect(txIdOf(config)).toBe('');
    expect(txIdOf(new Uint8Array([0xff, 0xff]))).toBe('');
  });
});

describe('GapTracker', () => {
  it('finds the longest silence around a time, including one still going on', () => {
    const gaps = new GapTracker(100);
    gaps.start(0);
    for (const t of [10, 20, 30, 530, 540, 1540]) gaps.event(t);
    expect(gaps.longestWithin(0, 500, 2000)).toEqual({ fromMs: 30, toMs: 530 });
    expect(gaps.longestWithin(600, 2000, 2000)).toEqual({ fromMs: 540, toMs: 1540 });
    expect(gaps.longestWithin(1600, 3000, 3000)).toEqual({ fromMs: 1540, toMs: 3000 });
  });
});
