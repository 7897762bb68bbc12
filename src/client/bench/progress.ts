// The one-line progress of a running benchmark.

import type { SecondSample } from './sampler.js';

const fmt = (v: number | null): string => (v === null ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function progressLine(s: SecondSample, outstanding: number): string {
  const refused = Object.values(s.refused).reduce((a, b) => a + b, 0);
  const leader = s.nodes.find((n) => n.isLeader === true)?.id;
  return (
    `t=${s.t.toFixed(0).padStart(4)}s ${s.phase.padEnd(10).slice(0, 10)} ` +
    `committed ${Math.round(s.committedOwn / s.intervalS)
      .toString()
      .padStart(6)} tx/s  ack ${Math.round(s.acknowledged / s.intervalS)
      .toString()
      .padStart(6)} tx/s  ` +
    `ack p50/p99 ${fmt(s.ack.p50)}/${fmt(s.ack.p99)} ms  commit p99 ${fmt(s.commit.p99)} ms  refused ${refused}  outstanding ${outstanding}` +
    (s.nodes.some((n) => n.isLeader !== undefined) ? `  leader ${leader === undefined ? 'none' : `node ${leader}`}` : '')
  );
}
