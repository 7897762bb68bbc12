// A Prometheus histogram that takes `count` equal observations in one call.
//
// Broadcast times a whole read burst: every envelope of it took the same time
// to its verdict, and Fabric's broadcast_validate_duration counts one
// observation per envelope. prom-client's Histogram takes one value per call,
// and each call allocates, validates and hashes its label set: per envelope,
// that was a few percent of the leader's main thread. This histogram keeps one
// series per label set and adds a burst in one step. Its exposition (text and
// JSON) is prom-client's Histogram's, line for line; it registers as any
// prom-client metric (a Registry accepts any object with get()).

import assert from 'node:assert/strict';
import type { LabelValues, Registry } from 'prom-client';

/** One exposed value, in prom-client's shape: `labels` its own (`le`), `sharedLabels` the series'. */
export interface HistogramValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName: string;
  /** Buckets carry none (null, as prom-client's without exemplars). */
  readonly exemplar?: null;
}

/** The metric as a Registry reads it (prom-client's MetricObjectWithValues). */
export interface HistogramData {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: HistogramValue[];
}

interface Series<L extends string> {
  readonly labels: LabelValues<L>;
  /** Observations per bucket (not cumulative), bucket i counting values in (upper[i-1], upper[i]]. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export interface BurstHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds, ascending. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

export class BurstHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  /** How a cluster registry merges workers' values (as prom-client's metrics). */
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly L[];
  readonly #upper: readonly number[];
  /** By label values joined with NUL, in the order they were first observed (prom-client's order). */
  #series = new Map<string, Series<L>>();

  constructor(config: BurstHistogramConfig<L>) {
    assert(config.buckets.length > 0, `histogram ${config.name}: buckets must not be empty`);
    for (let i = 1; i < config.buckets.length; i++) {
      assert(config.buckets[i - 1]! < config.buckets[i]!, `histogram ${config.name}: buckets must ascend, got ${config.buckets.join(', ')}`);
    }
    this.name = config.name;
    this.help = config.help;
    this.#labelNames = [...config.labelNames];
    this.#upper = [...config.buckets];
    for (const registry of config.registers) registry.registerMetric(this as never);
  }

  /** `count` observations of `value` with these labels (every label name set). */
  observe(labels: LabelValues<L>, value: number, count = 1): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram ${this.name}: value must be a finite number, got ${value}`);
    if (!Number.isSafeInteger(count) || count < 0) throw new TypeError(`histogram ${this.name}: count must be a non-negative integer, got ${count}`);
    const series = this.#seriesOf(labels);
    const upper = this.#upper;
    let bucket = 0;
    while (bucket < upper.length && value > upper[bucket]!) bucket++;
    // Beyond the last bound: counted in +Inf (count) only, as prom-client does.
    if (bucket < upper.length) series.buckets[bucket]! += count;
    series.sum += value * count;
    series.count += count;
  }

  reset(): void {
    this.#series = new Map();
  }

  /** The JSON form (Registry.getMetricsAsJSON): labels and `le` in one object per value. */
  async get(): Promise<HistogramData> {
    const data = this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }

  /** The text form's values (Registry.getMetricsAsString): `le` first, then the series' labels. */
  getForPromString(): HistogramData {
    const bucketName = `${this.name}_bucket`;
    const values: HistogramValue[] = [];
    for (const series of this.#series.values()) {
      const sharedLabels = series.labels as Record<string, string | number>;
      let cumulative = 0;
      for (let i = 0; i < this.#upper.length; i++) {
        cumulative += series.buckets[i]!;
        values.push({ labels: { le: this.#upper[i]! }, sharedLabels, value: cumulative, metricName: bucketName, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  #seriesOf(labels: LabelValues<L>): Series<L> {
    let key = '';
    for (const name of this.#labelNames) {
      const value = labels[name];
      if (value === undefined) throw new TypeError(`histogram ${this.name}: label "${name}" is not set`);
      key += `${value}\u0000`;
    }
    let series = this.#series.get(key);
    if (series === undefined) {
      const own: LabelValues<L> = {};
      for (const name of this.#labelNames) own[name] = labels[name];
      series = { labels: own, buckets: new Array<number>(this.#upper.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    return series;
  }
}
