// The chain's Prometheus metrics, with Fabric's names (orderer/consensus/
// etcdraft/metrics.go) and label `channel`. Every chain of a node registers
// into the node's one Registry: a metric is created by the first chain and
// shared by the next (prom-client refuses a name registered twice).

import { Counter, Gauge, type Registry } from 'prom-client';

type Label = 'channel';

function gauge(registry: Registry, name: string, help: string): Gauge<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Gauge<Label>;
  return new Gauge<Label>({ name, help, labelNames: ['channel'], registers: [registry] });
}

function counter(registry: Registry, name: string, help: string): Counter<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Counter<Label>;
  return new Counter<Label>({ name, help, labelNames: ['channel'], registers: [registry] });
}

function causeCounter(registry: Registry, name: string, help: string): Counter<'channel' | 'cause'> {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Counter<'channel' | 'cause'>;
  return new Counter<'channel' | 'cause'>({ name, help, labelNames: ['channel', 'cause'], registers: [registry] });
}

/** One channel's view of the metrics (label bound). */
export class ChainMetrics {
  readonly isLeader: Gauge.Internal<Label>;
  readonly leaderChanges: Counter.Internal;
  readonly committedBlockNumber: Gauge.Internal<Label>;
  readonly proposalFailures: Counter.Internal;
  readonly clusterSize: Gauge.Internal<Label>;
  readonly activeNodes: Gauge.Internal<Label>;
  readonly snapshotBlockNumber: Gauge.Internal<Label>;
  /** Ours (Fabric has none): blocks proposed and not yet committed on the leader; never above max_inflight_blocks. */
  readonly inflightBlocks: Gauge.Internal<Label>;
  readonly configProposalsReceived: Counter.Internal;
  /** Ours: campaigns started before the election timeout because the stream to the leader closed, by cause. */
  readonly earlyCampaigns: Counter<'channel' | 'cause'>;
  readonly #channelId: string;

  constructor(registry: Registry, channelId: string) {
    const labels = { channel: channelId };
    this.isLeader = gauge(registry, 'consensus_etcdraft_is_leader', 'The leadership status of the current node: 1 if it is the leader else 0.').labels(labels);
    this.leaderChanges = counter(registry, 'consensus_etcdraft_leader_changes', 'The number of leader changes since process start.').labels(labels);
    this.committedBlockNumber = gauge(registry, 'consensus_etcdraft_committed_block_number', 'The block number of the latest block committed.').labels(labels);
    this.proposalFailures = counter(registry, 'consensus_etcdraft_proposal_failures', 'The number of proposal failures.').labels(labels);
    this.clusterSize = gauge(registry, 'consensus_etcdraft_cluster_size', 'Number of nodes in this channel.').labels(labels);
    this.activeNodes = gauge(registry, 'consensus_etcdraft_active_nodes', 'Number of active nodes in this channel.').labels(labels);
    this.snapshotBlockNumber = gauge(registry, 'consensus_etcdraft_snapshot_block_number', 'The block number of the latest snapshot.').labels(labels);
    this.configProposalsReceived = counter(
      registry,
      'consensus_etcdraft_config_proposals_received',
      'The total number of proposals received for config type transactions.',
    ).labels(labels);
    this.#channelId = channelId;
    this.earlyCampaigns = causeCounter(
      registry,
      'consensus_etcdraft_early_campaigns',
      'Campaigns started before the election timeout because the cluster stream to the leader closed and did not come back.',
    );
    this.inflightBlocks = gauge(registry, 'consensus_etcdraft_inflight_blocks', 'Blocks proposed by this leader and not yet committed.').labels(labels);
  }

  /** One early campaign of this channel, `cause` as LeaderLossCause. */
  countEarlyCampaign(cause: string): void {
    this.earlyCampaigns.inc({ channel: this.#channelId, cause });
  }
}
