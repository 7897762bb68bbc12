// Catch-up figures of one channel (ours; Fabric has none for its BlockPuller),
// label `channel`, registered once per node Registry like ChainMetrics.

import { Counter, type Registry } from 'prom-client';

function counter(registry: Registry, name: string, help: string): Counter<'channel'> {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Counter<'channel'>;
  return new Counter<'channel'>({ name, help, labelNames: ['channel'], registers: [registry] });
}

export class CatchUpMetrics {
  /** Blocks pulled from other orderers, verified and appended. */
  readonly blocksPulled: Counter.Internal;
  /** Pulls from one orderer that failed (unreachable, refused, or a block that did not verify). */
  readonly sourceFailures: Counter.Internal;
  /** Rounds in which every orderer failed (a back-off follows). */
  readonly failedRounds: Counter.Internal;

  constructor(registry: Registry, channelId: string) {
    const labels = { channel: channelId };
    this.blocksPulled = counter(registry, 'consensus_etcdraft_catchup_blocks_pulled', 'Blocks pulled from other orderers during catch-up.').labels(labels);
    this.sourceFailures = counter(registry, 'consensus_etcdraft_catchup_source_failures', 'Catch-up pulls from one orderer that failed.').labels(labels);
    this.failedRounds = counter(registry, 'consensus_etcdraft_catchup_failed_rounds', 'Catch-up rounds in which every other orderer failed.').labels(labels);
  }
}
