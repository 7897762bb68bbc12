// BurstHistogram exposes exactly what prom-client's Histogram exposes for the
// same observations, `count` equal values in one call counting as `count` calls.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BurstHistogram } from '../../src/server/burstHistogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const LABELS = ['channel', 'status'] as const;

/** The same observations into prom-client's Histogram (one call each) and a BurstHistogram (one call per group). */
function both(groups: readonly { labels: { channel: string; status: string }; value: number; count: number }[]) {
  const reference = new Registry();
  const burst = new Registry();
  const histogram = new Histogram({ name: 'validate_seconds', help: 'Time to a verdict.', labelNames: LABELS, buckets: BUCKETS, registers: [reference] });
  const bulk = new BurstHistogram({ name: 'validate_seconds', help: 'Time to a verdict.', labelNames: LABELS, buckets: BUCKETS, registers: [burst] });
  for (const { labels, value, count } of groups) {
    for (let i = 0; i < count; i++) histogram.observe(labels, value);
    bulk.observe({ ...labels }, value, count);
  }
  return { reference, burst, bulk };
}

/** Binary fractions: a sum of n equal values is n times the value exactly, as the reference adds them one by one. */
const GROUPS = [
  { labels: { channel: 'a', status: 'SUCCESS' }, value: 2 ** -11, count: 3 },
  { labels: { channel: 'b', status: 'FORBIDDEN' }, value: 2 ** -5, count: 1 },
  { labels: { channel: 'a', status: 'SUCCESS' }, value: 2 ** -7, count: 250 },
  { labels: { channel: 'a', status: 'SUCCESS' }, value: 8, count: 2 },
  { labels: { channel: 'a', status: 'SUCCESS' }, value: 0.01, count: 1 },
  { labels: { channel: 'b', status: 'FORBIDDEN' }, value: 0.5, count: 0 },
];

describe('BurstHistogram', () => {
  it("exposes prom-client's Histogram text, line for line, for the same observations", async () => {
    const { reference, burst } = both(GROUPS);
    const text = await burst.metrics();
    expect(text).toBe(await reference.metrics());
    expect(text).toContain('validate_seconds_count{channel="a",status="SUCCESS"} 256');
    expect(text).toContain('validate_seconds_bucket{le="0.01",channel="a",status="SUCCESS"} 254');
  });

  it("exposes prom-client's Histogram JSON for the same observations", async () => {
    const { reference, burst } = both(GROUPS);
    expect(await burst.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
  });

  it('forgets its series on reset, as the registry resets it', async () => {
    const { reference, burst } = both(GROUPS);
    burst.resetMetrics();
    reference.resetMetrics();
    expect(await burst.metrics()).toBe(await reference.metrics());
    expect(await burst.metrics()).not.toContain('validate_seconds_count');
  });

  it('refuses a missing label, a value that is not finite, a bad count and unsorted buckets, naming them', () => {
    const { bulk } = both([]);
    expect(() => bulk.observe({ channel: 'a' }, 1)).toThrow(/label "status" is not set/);
    expect(() => bulk.observe({ channel: 'a', status: 'SUCCESS' }, Number.NaN)).toThrow(/value must be a finite number, got NaN/);
    expect(() => bulk.observe({ channel: 'a', status: 'SUCCESS' }, 1, -1)).toThrow(/count must be a non-negative integer, got -1/);
    expect(() => new BurstHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [1, 0.5], registers: [] })).toThrow(/buckets must ascend, got 1, 0.5/);
  });
});
