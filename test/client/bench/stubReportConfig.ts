// The BenchConfig of a report built from a run against the in-process stub
// orderer (one node, P-256, 512-byte envelopes, every node loaded).

import type { BenchConfig } from '../../../src/client/bench/index.js';

type Varying = Pick<BenchConfig, 'schedule' | 'maxOutstanding' | 'channelId'>;

export function stubReportConfig(varying: Varying & Partial<BenchConfig>): BenchConfig {
  return { target: 'stub', kind: 'external', nodes: 1, algorithm: 'p256', envelopeBytes: 512, role: 'all', streamsPerNode: 1, ...varying };
}
