// The server's Prometheus metrics, with Fabric's names and labels
// (orderer/common/broadcast/metrics.go, common/deliver/metrics.go).
//
// Label `channel` only ever carries a channel this node serves ("" for
// requests naming an unknown or no channel), so a client cannot grow the
// label set without bound.

import { Counter, type LabelValues, type Registry } from 'prom-client';
import { Status } from '../block/index.js';
import { BurstHistogram } from './burstHistogram.js';

type BroadcastLabels = LabelValues<'channel' | 'type' | 'status'>;

export class ServerMetrics {
  /** Labels channel, type (HeaderType name), status (Status name). */
  readonly broadcastProcessed: Counter<'channel' | 'type' | 'status'>;
  /** Time from receiving an envelope to the channel's verdict (verification + acceptance for ordering); one observation per envelope, added per burst. */
  readonly broadcastValidateSeconds: BurstHistogram<'channel' | 'type' | 'status'>;
  readonly deliverStreamsOpened: Counter;
  readonly deliverStreamsClosed: Counter;
  readonly deliverRequestsReceived: Counter<'channel' | 'filtered' | 'data_type'>;
  readonly deliverRequestsCompleted: Counter<'channel' | 'filtered' | 'data_type' | 'success'>;
  readonly deliverBlocksSent: Counter<'channel' | 'filtered' | 'data_type'>;
  /**
   * Label objects of the broadcast metrics, made once per (channel, type,
   * status) rather than once per envelope. Bounded as the label set is:
   * served channels (or "") x HeaderType names x statuses.
   */
  readonly #broadcastLabels = new Map<string, Map<string, Map<number, BroadcastLabels>>>();

  constructor(registry: Registry) {
    this.broadcastProcessed = counter(registry, 'broadcast_processed_count', 'The number of transactions processed.', ['channel', 'type', 'status']);
    this.broadcastValidateSeconds = histogram(registry, 'broadcast_validate_duration', 'The time to validate a transaction in seconds.', [
      'channel',
      'type',
      'status',
    ]);
    this.deliverStreamsOpened = counter(registry, 'deliver_streams_opened', 'The number of GRPC streams that have been opened for the deliver service.', []);
    this.deliverStreamsClosed = counter(registry, 'deliver_streams_closed', 'The number of GRPC streams that have been closed for the deliver service.', []);
    this.deliverRequestsReceived = counter(registry, 'deliver_requests_received', 'The number of deliver requests that have been received.', [
      'channel',
      'filtered',
      'data_type',
    ]);
    this.deliverRequestsCompleted = counter(registry, 'deliver_requests_completed', 'The number of deliver requests that have been completed.', [
      'channel',
      'filtered',
      'data_type',
      'success',
    ]);
    this.deliverBlocksSent = counter(registry, 'deliver_blocks_sent', 'The number of blocks sent by the deliver service.', [
      'channel',
      'filtered',
      'data_type',
    ]);
  }

  /** The (frozen, shared) labels of a broadcast verdict: `type` a HeaderType name, `status` a Status. */
  broadcastLabels(channel: string, type: string, status: Status): BroadcastLabels {
    let byType = this.#broadcastLabels.get(channel);
    if (byType === undefined) this.#broadcastLabels.set(channel, (byType = new Map()));
    let byStatus = byType.get(type);
    if (byStatus === undefined) byType.set(type, (byStatus = new Map()));
    let labels = byStatus.get(status);
    if (labels === undefined) byStatus.set(status, (labels = Object.freeze({ channel, type, status: Status[status] ?? String(status) })));
    return labels;
  }
}

/** The same registry may serve several servers (tests, restarts): reuse a metric already registered. */
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): BurstHistogram<L> {
  const existing: unknown = registry.getSingleMetric(name);
  if (existing instanceof BurstHistogram) return existing as BurstHistogram<L>;
  // Buckets from 100 us to ~6.5 s: verification is sub-millisecond, backpressure can take seconds.
  const buckets = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 6.5];
  return new BurstHistogram({ name, help, labelNames, buckets, registers: [registry] });
}
