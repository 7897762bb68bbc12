// The transport's Prometheus metrics, named as Fabric's cluster metrics
// (orderer/common/cluster/metrics.go) where Fabric has one. `host` is the
// peer's address, as in Fabric.

import { Counter, Gauge, Registry } from 'prom-client';

export type DropReason = 'queue_full' | 'unreachable' | 'stream_broke' | 'too_large' | 'closed';

export class ClusterMetrics {
  readonly registry: Registry;
  /** Consensus frames dropped instead of sent, by send-queue lane (control, bulk: lanes.ts). */
  readonly msgDropped: Counter<'host' | 'channel' | 'lane' | 'reason'>;
  readonly egressQueueLength: Gauge<'host'>;
  readonly egressQueueCapacity: Gauge<'host'>;
  /** Outgoing streams established (welcomed by the peer). */
  readonly egressStreams: Gauge;
  /** Inbound streams accepted (authenticated). */
  readonly ingressStreams: Gauge;
  /** Streams refused, by direction and reason (certificate pin mismatch, bad hello...). */
  readonly streamsRefused: Counter<'direction' | 'reason'>;
  /** Frames of an authenticated stream refused because their channel does not pin the stream's certificate for its consenter id. */
  readonly framesRefused: Counter<'channel' | 'reason'>;
  /** Forwarded submits by outcome (accepted, rejected by the leader, unavailable). */
  readonly submitsForwarded: Counter<'host' | 'outcome'>;

  constructor(registry: Registry | undefined) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.msgDropped = new Counter({
      name: 'cluster_comm_msg_dropped_count',
      help: 'Number of consensus messages dropped (queue full, peer unreachable, stream broke), by lane (control, bulk).',
      labelNames: ['host', 'channel', 'lane', 'reason'],
      registers,
    });
    this.egressQueueLength = new Gauge({ name: 'cluster_comm_egress_queue_length', help: 'Frames queued for a peer.', labelNames: ['host'], registers });
    this.egressQueueCapacity = new Gauge({
      name: 'cluster_comm_egress_queue_capacity',
      help: 'Capacity of each lane (control, bulk) of the queue of a peer, in frames.',
      labelNames: ['host'],
      registers,
    });
    this.egressStreams = new Gauge({ name: 'cluster_comm_egress_stream_count', help: 'Established outgoing streams.', registers });
    this.ingressStreams = new Gauge({ name: 'cluster_comm_ingress_stream_count', help: 'Authenticated inbound streams.', registers });
    this.streamsRefused = new Counter({
      name: 'cluster_comm_stream_refused_count',
      help: 'Streams refused, by direction (ingress, egress) and reason.',
      labelNames: ['direction', 'reason'],
      registers,
    });
    this.framesRefused = new Counter({
      name: 'cluster_comm_frame_refused_count',
      help: "Frames of an accepted stream refused, by channel and reason (the channel does not pin the stream's certificate for the sender's id).",
      labelNames: ['channel', 'reason'],
      registers,
    });
    this.submitsForwarded = new Counter({
      name: 'cluster_comm_submit_forwarded_count',
      help: 'Envelopes forwarded to a leader, by outcome.',
      labelNames: ['host', 'outcome'],
      registers,
    });
  }
}
