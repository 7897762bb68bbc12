// The orderer-to-orderer transport as the chain layer sees it. One instance
// per node carries every channel over one gRPC `Step` stream per peer (and
// per pair of Raft ids: each channel numbers its consenters itself).

import type { Message } from '../raft/index.js';

/** What a channel on this node hands the transport to receive with. */
export interface ClusterChannelHandler {
  /** A Raft message from consenter `from` (already authenticated by its pinned TLS key). */
  onConsensus(from: number, message: Message): void;
  /**
   * An envelope a follower forwarded to this node as leader. Resolves when the
   * envelope was accepted into ordering; rejects (OrdererError) with the reason
   * otherwise — the transport reports it back to the forwarding node.
   */
  onSubmit(from: number, envelope: Uint8Array): Promise<void>;
  /**
   * onSubmit for the envelopes of one SubmitBatch frame, with one promise for
   * all of them: per envelope, undefined once accepted into ordering, or its
   * rejection (an OrdererError) — the same verdicts onSubmit gives one by one.
   * Never rejects. Optional: without it each envelope goes through onSubmit.
   */
  onSubmitAll?(from: number, envelopes: readonly Uint8Array[]): Promise<unknown[]>;
}

export interface ClusterTransport {
  /** This node's consenter id. */
  readonly selfId: number;
  /**
   * Queues a Raft message for `to`. Never blocks and never throws for a slow
   * or down peer: when the peer's bounded queue is full the message is dropped
   * (Raft retries) and counted. Unknown `to` is a programmer error.
   */
  sendConsensus(channelId: string, to: number, message: Message): void;
  /**
   * Forwards a client envelope to the leader `to`. Waits for room in the
   * peer's queue (backpressure, not loss); resolves when the leader accepted
   * it, rejects with an OrdererError (code SERVICE_UNAVAILABLE when the peer is
   * unreachable, or the leader's own rejection).
   */
  forwardSubmit(channelId: string, to: number, envelope: Uint8Array): Promise<void>;
  /** Registers (or, with undefined, removes) the handler of a channel. */
  setHandler(channelId: string, handler: ClusterChannelHandler | undefined): void;
  /** True while a stream to `peer` is established (for quorum checks before membership changes). */
  isReachable(peer: number): boolean;
  /**
   * Called when a peer's stream breaks (or a dial to it fails), so chains can `reportUnreachable`.
   * `channelId`, when given: the channel whose consenter `peer` is (a Raft id names an orderer within one channel only).
   */
  onUnreachable(listener: (peer: number, channelId?: string) => void): void;
  /**
   * Optional (additive): dials `peer` now when no stream to it is up or being
   * set up, skipping a reconnect backoff in progress. A chain asks when the
   * stream to its leader broke: a refused dial (reported through
   * onUnreachable) says the leader's process is gone, an established one
   * (isReachable) that only the stream was.
   */
  probe?(peer: number): void;
  /**
   * Optional (additive): called once per MsgSnap given to `sendConsensus`,
   * with 'finish' when it was written to the peer's stream and 'failure' when
   * it was dropped (queue full, peer unreachable, stream broke). The chain
   * passes it to `RawNode.reportSnapshot`: without a failure report the
   * leader keeps that follower paused in StateSnapshot (as in etcd).
   */
  onSnapshotStatus?(listener: (channelId: string, peer: number, status: 'finish' | 'failure') => void): void;
  /**
   * Optional (additive): called when `peer` refused this node's stream as a
   * consenter it does not know under the id the stream speaks as (its Hello
   * refused, or an accepted stream ended, with PERMISSION_DENIED: its lists
   * no longer pin this node's certificate under that id, or `peer` is not
   * that id there), `reason` as the peer gave it. This node's or that peer's
   * membership may have changed while this node was away; a peer that does
   * pin this node under that id on some channel takes the stream and refuses
   * only frames of channels that do not, which the sender is not told.
   * `channelId`: as in onUnreachable.
   */
  onRefused?(listener: (peer: number, channelId: string | undefined, reason: string) => void): void;
  /** Adds, updates (cert rotation) or removes consenters at runtime. */
  updatePeers(peers: readonly ClusterPeer[]): void;
  close(): Promise<void>;
}

export interface ClusterPeer {
  readonly id: number;
  /** host:port of the peer's cluster listener. */
  readonly address: string;
  /** PEM TLS certificate the peer presents, as client and as server: its public key is pinned. */
  readonly tlsCertPem: string;
}
