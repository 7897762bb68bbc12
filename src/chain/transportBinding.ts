// One chain's attachment to the node's cluster transport: Raft messages from
// peers are stepped into the RawNode (through the lost-log guard), envelopes
// forwarded by followers go to the chain's intake, and the transport's peer
// reports (unreachable, snapshot sent or failed) reach Raft for the channel's
// consenters only; a consenter's refusal of this node reaches eviction
// suspicion. While the chain does not run, peers' messages are dropped.

import type { Logger } from 'pino';
import type { ClusterChannelHandler, ClusterTransport } from '../cluster/index.js';
import { RaftError, type Message, type RawNode } from '../raft/index.js';

export interface TransportBindingHost {
  readonly channelId: string;
  /** The Raft id this chain runs as: a message addressed to another id of this node is not for it. */
  readonly selfId: number;
  readonly log: Logger;
  isRunning(): boolean;
  /** The consenter ids of the committed config: peer reports of others are ignored. */
  consenterIds(): readonly number[];
  raft(): RawNode;
  /** Runs the Ready loop after stepping. */
  kick(): void;
  /** The lost-log guard over an inbound Raft message (liveness.ts). */
  inbound(message: Message): Message;
  /** The transport reports the stream to a consenter broken (leader-loss detection). */
  peerLost(peer: number): void;
  /** A consenter refused this node's stream as one it does not know under this id (eviction suspicion checks sooner). */
  peerRefused(peer: number, reason: string): void;
  /** An envelope a consenter forwarded: resolves once accepted for ordering, throws an OrdererError otherwise. */
  forwarded(from: number, envelope: Uint8Array): Promise<void>;
  /** forwarded() for a SubmitBatch's envelopes: per envelope undefined (accepted) or its OrdererError; never rejects. */
  forwardedAll(from: number, envelopes: readonly Uint8Array[]): Promise<unknown[]>;
}

/** Sets the channel's handler on the transport and subscribes to its peer reports. */
export function bindTransport(transport: ClusterTransport, host: TransportBindingHost): void {
  transport.setHandler(host.channelId, channelHandler(host));
  transport.onUnreachable((peer) => {
    if (!host.isRunning() || !host.consenterIds().includes(peer)) return;
    host.raft().reportUnreachable(peer);
    host.peerLost(peer);
  });
  transport.onRefused?.((peer, _channelId, reason) => {
    if (!host.isRunning() || !host.consenterIds().includes(peer)) return;
    host.peerRefused(peer, reason);
  });
  transport.onSnapshotStatus?.((channelId, peer, status) => {
    // Without the failure report a leader keeps that follower paused in StateSnapshot (etcd).
    if (channelId !== host.channelId || !host.isRunning() || !host.consenterIds().includes(peer)) return;
    host.raft().reportSnapshot(peer, status);
    host.kick();
  });
}

function channelHandler(host: TransportBindingHost): ClusterChannelHandler {
  /** Ids of this node other than selfId whose messages were dropped (logged once each). */
  const misaddressed = new Set<number>();
  return {
    onConsensus: (from: number, message: Message) => {
      if (!host.isRunning()) return;
      if (message.to !== host.selfId) {
        // The node answers to another id of its own for another channel (re-added there under a new id); the sender
        // knows this channel's node by that id (re-added here too, while this chain still runs the old one). Stepped
        // in, its heartbeats kept a leader known here, so eviction suspicion never ran to re-onboard under the new id.
        if (!misaddressed.has(message.to)) {
          misaddressed.add(message.to);
          host.log.warn(
            { from, to: message.to, selfId: host.selfId },
            `raft messages of channel "${host.channelId}" to consenter ${message.to} are dropped: this node runs the channel as consenter ${host.selfId}`,
          );
        }
        return;
      }
      try {
        host.raft().step(host.inbound(message));
      } catch (err) {
        // e.g. a response from a peer no longer in the membership: a peer's mistake, not ours.
        if (!(err instanceof RaftError)) throw err;
        host.log.debug({ from, err: err.message }, 'raft message from a peer refused');
        return;
      }
      host.kick();
    },
    onSubmit: (from: number, envelope: Uint8Array) => host.forwarded(from, envelope),
    onSubmitAll: (from: number, envelopes: readonly Uint8Array[]) => host.forwardedAll(from, envelopes),
  };
}
