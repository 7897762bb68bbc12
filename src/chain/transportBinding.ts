// One chain's attachment to the node's cluster transport: Raft messages from
// peers are stepped into the RawNode (through the lost-log guard), envelopes
// forwarded by followers go to the chain's intake, and the transport's peer
// reports (unreachable, snapshot sent or failed) reach Raft for the channel's
// consenters only. While the chain does not run, peers' messages are dropped.

import type { Logger } from 'pino';
import type { ClusterChannelHandler, ClusterTransport } from '../cluster/index.js';
import { RaftError, type Message, type RawNode } from '../raft/index.js';

export interface TransportBindingHost {
  readonly channelId: string;
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
  transport.onSnapshotStatus?.((channelId, peer, status) => {
    // Without the failure report a leader keeps that follower paused in StateSnapshot (etcd).
    if (channelId !== host.channelId || !host.isRunning() || !host.consenterIds().includes(peer)) return;
    host.raft().reportSnapshot(peer, status);
    host.kick();
  });
}

function channelHandler(host: TransportBindingHost): ClusterChannelHandler {
  return {
    onConsensus: (from: number, message: Message) => {
      if (!host.isRunning()) return;
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
