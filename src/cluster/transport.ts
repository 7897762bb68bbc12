// GrpcClusterTransport: the ClusterTransport of a node, over gRPC with mutual
// TLS. One listener takes the streams other consenters dial (inbound.ts); one
// PeerLink per (id of ours, other consenter) dials it at start (again when it
// dials us) and writes our frames (peerLink.ts). Every channel on the node
// shares these streams; each channel names its consenters by its own Raft ids
// (peerDirectory.ts).

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Message } from '../raft/index.js';
import type { ClusterChannelHandler, ClusterPeer, ClusterTransport } from './types.js';
import { ClusterOptionsError, ClusterUnavailableError } from './errors.js';
import { InboundStreams } from './inbound.js';
import { windowedServerCredentials } from './inboundWindows.js';
import { ClusterMetrics } from './metrics.js';
import { validateClusterOptions, validatePeers, type ClusterSettings, type ClusterTransportOptions, type PinnedPeer } from './options.js';
import { PeerDirectory, nodeKeyOf } from './peerDirectory.js';
import { LinkState, PeerLink } from './peerLink.js';
import { publicKeyOfCertificate } from './pinning.js';
import { clusterServiceDefinition } from './service.js';

enum TransportState {
  Running = 'running',
  Closing = 'closing',
  Closed = 'closed',
}

/** What tests and the operations view can read about one peer. */
export interface PeerLinkStatus {
  readonly id: number;
  readonly address: string;
  readonly state: LinkState;
  readonly queuedFrames: number;
  /** Bytes of those frames: a consensus frame that would take the queue past sendQueueBytesMax is dropped, as one past sendQueueFramesMax. */
  readonly queuedBytes: number;
}

export class GrpcClusterTransport implements ClusterTransport {
  readonly selfId: number;
  /** The port the listener is bound to (the real one when options.listenAddress asked for port 0). */
  readonly port: number;
  readonly #settings: ClusterSettings;
  readonly #log: Logger;
  readonly #metrics: ClusterMetrics;
  readonly #server: grpc.Server;
  readonly #inbound: InboundStreams;
  /** Who the consenters are: the node-wide list and each channel's own (peerDirectory.ts). */
  readonly #directory: PeerDirectory;
  /** This node's TLS public key: a channel's entry with it is this node (under whatever id), never a peer. */
  readonly #ownKey: Buffer;
  /**
   * Every link, keyed by linkKey (our id, its id, that orderer). Those a list
   * asks for (PeerDirectory.wanted) dial at once; others (a message from an id
   * no list gives this node for that peer) are made on first use.
   * Invariant after each #reconcile: each link's local id is a local id and some list of #directory holds
   * (its local id, its peer id, that orderer) (PeerDirectory.holdsLink).
   */
  readonly #links = new Map<string, PeerLink>();
  /**
   * Other ids this node answers to and speaks as, beside selfId: a channel
   * that removed this node and added it again gave it a new Raft id (Fabric
   * numbers a re-added consenter anew), while the node keeps its id elsewhere.
   * Invariant: never holds selfId.
   */
  readonly #localIds = new Set<number>();
  readonly #handlers = new Map<string, ClusterChannelHandler>();
  readonly #unreachableListeners: Array<(peer: number, channelId?: string) => void> = [];
  readonly #snapshotListeners: Array<(channelId: string, peer: number, status: 'finish' | 'failure') => void> = [];
  readonly #refusedListeners: Array<(peer: number, channelId: string | undefined, reason: string) => void> = [];
  #state = TransportState.Running;

  /** Validates `options`, binds the listener and returns the running transport. Every peer is dialed at once (a failed dial is retried at the next send or when the peer dials us). */
  static async start(options: ClusterTransportOptions): Promise<GrpcClusterTransport> {
    const settings = validateClusterOptions(options);
    const server = new grpc.Server({
      'grpc.max_receive_message_length': settings.frameBytesMax,
      'grpc.max_send_message_length': settings.frameBytesMax,
      'grpc.keepalive_time_ms': settings.keepaliveIntervalMs,
      'grpc.keepalive_timeout_ms': settings.keepaliveIntervalMs,
    });
    const credentials = windowedServerCredentials(
      grpc.ServerCredentials.createSsl(
        Buffer.from(settings.tls.caPems.join('\n')),
        [{ cert_chain: Buffer.from(settings.tls.certPem), private_key: Buffer.from(settings.tls.keyPem) }],
        // Mutual TLS: a client without a certificate from one of caPems is refused at the handshake.
        true,
      ),
    );
    const address = `${settings.listenHost}:${settings.listenPort}`;
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (error, boundPort) => {
        if (error) reject(new ClusterOptionsError(`options.listenAddress "${address}" cannot be listened on: ${error.message}`, { cause: error }));
        else resolve(boundPort);
      });
    });
    return new GrpcClusterTransport(settings, server, port);
  }

  private constructor(settings: ClusterSettings, server: grpc.Server, port: number) {
    this.selfId = settings.selfId;
    this.port = port;
    this.#settings = settings;
    this.#log = settings.logger.child({ node: settings.selfId, component: 'cluster' });
    this.#metrics = new ClusterMetrics(settings.metrics);
    this.#server = server;
    this.#ownKey = publicKeyOfCertificate(settings.tls.certPem);
    this.#directory = new PeerDirectory(settings.peers, settings.selfId);
    this.#inbound = new InboundStreams({
      settings,
      metrics: this.#metrics,
      logger: this.#log,
      directory: this.#directory,
      handler: (channel) => this.#handlers.get(channel),
      isLocalId: (id) => this.isLocalId(id),
      peerAdmitted: (key) => {
        for (const link of this.#links.values()) if (link.peer.pinnedKey.equals(key)) link.peerIsUp();
      },
    });
    server.addService(clusterServiceDefinition, { Step: this.#inbound.accept });
    this.#reconcile();
    this.#log.info({ port, peers: [...settings.peers.keys()], nativeFrameDecoding: settings.frames.nativeAcceleration }, 'cluster transport listening');
  }

  /** The registry holding the cluster_comm_* metrics (options.metrics, or a private one). */
  get metricsRegistry(): Registry {
    return this.#metrics.registry;
  }

  /** True for selfId and the ids added with addLocalId. */
  isLocalId(id: number): boolean {
    return id === this.selfId || this.#localIds.has(id);
  }

  /**
   * This node also answers to, and speaks as, consenter `id` (a channel that
   * re-added it under a new Raft id). A peer of the node-wide list under that
   * id (this node itself, as a channel's consenter list names it) is dropped.
   */
  addLocalId(id: number): void {
    assert.ok(Number.isInteger(id) && id > 0, `addLocalId: ${id} is not a positive integer`);
    if (this.isLocalId(id)) return;
    this.#localIds.add(id);
    if (this.#directory.shared.has(id)) {
      this.updatePeers([...this.#directory.shared.values()]);
    }
    this.#log.info({ localIds: [this.selfId, ...this.#localIds] }, `this node also answers as consenter ${id}`);
  }

  /**
   * Dials the links speaking as local id `local` to `peers` now, as the
   * transport warms its own links at start. A peer that accepts such a stream
   * redials its own link to `local` at once (peerIsUp), so a channel started
   * under a new id hears its leader's heartbeats without waiting out the
   * leader's reconnect back-off to an id nobody answered to before.
   */
  connectAs(local: number, peers: readonly number[]): void {
    if (this.#state !== TransportState.Running || local === this.selfId || !this.isLocalId(local)) return;
    // A channel's list made its links as its local id (setChannelPeers); those not up yet dial now, as do those to the node-wide list's peers.
    for (const link of this.#links.values()) if (link.localId === local && peers.includes(link.peer.id)) link.connect();
    for (const peer of peers) if (!this.isLocalId(peer)) this.#linkAs(local, undefined, peer)?.connect();
  }

  /** Stops answering as `id` (its channel stopped here) and closes the links that spoke as it. */
  removeLocalId(id: number): void {
    if (!this.#localIds.delete(id)) return;
    this.#reconcile();
  }

  /** The message's `from` picks the id this node speaks as: selfId, or one of addLocalId; `to` is read in the channel's consenter list. */
  sendConsensus(channelId: string, to: number, message: Message): void {
    assert.equal(message.to, to, `sendConsensus: message.to ${message.to} differs from to ${to}`);
    if (this.#state !== TransportState.Running) return;
    assert.ok(this.isLocalId(message.from), `sendConsensus from ${message.from}, which is not an id of this node (${this.selfId})`);
    const link = this.#linkAs(message.from, channelId, to);
    assert.ok(link !== undefined, `sendConsensus to consenter ${to}, which is not a configured peer of channel "${channelId}" on consenter ${this.selfId}`);
    link.sendConsensus(channelId, message);
  }

  /** `from`: the id this node speaks as (default selfId; another one for a channel that re-added it). */
  forwardSubmit(channelId: string, to: number, envelope: Uint8Array, from = this.selfId): Promise<void> {
    assert.ok(
      !this.isLocalId(to) || this.#directory.peerOf(channelId, to) !== undefined,
      'forwardSubmit to this node itself: the chain submits locally when it leads',
    );
    assert.ok(this.isLocalId(from), `forwardSubmit as ${from}, which is not an id of this node (${this.selfId})`);
    if (this.#state !== TransportState.Running) {
      return Promise.reject(new ClusterUnavailableError(to, `the cluster transport of consenter ${this.selfId} is closed`));
    }
    const link = this.#linkAs(from, channelId, to);
    // The leader id comes from the network and may name a consenter not (yet) configured here.
    if (link === undefined) {
      return Promise.reject(new ClusterUnavailableError(to, `consenter ${to} is not a configured peer of channel "${channelId}" on consenter ${this.selfId}`));
    }
    return link.forwardSubmit(channelId, envelope);
  }

  setHandler(channelId: string, handler: ClusterChannelHandler | undefined): void {
    if (handler === undefined) this.#handlers.delete(channelId);
    else this.#handlers.set(channelId, handler);
  }

  /** `from`: as forwardSubmit; `channelId`: whose consenter `peer` is (default: the node-wide list). A link not used yet is not reachable. */
  isReachable(peer: number, from = this.selfId, channelId?: string): boolean {
    const pinned = this.#directory.peerOf(channelId, peer);
    return pinned !== undefined && this.#links.get(linkKey(from, pinned))?.state === LinkState.Established;
  }

  /** `from`, `channelId`: as isReachable. An unknown peer is ignored (the leader id came from the network). */
  probe(peer: number, from = this.selfId, channelId?: string): void {
    if (this.#state !== TransportState.Running) return;
    if (this.#directory.peerOf(channelId, peer) === undefined) return;
    this.#linkAs(from, channelId, peer)?.probe();
  }

  /**
   * Returns a function that unregisters `listener` (beyond the contract: a removed channel should call it).
   * `channelId`: the channel whose consenter `peer` became unreachable; undefined for a peer of the node-wide list.
   */
  onUnreachable(listener: (peer: number, channelId?: string) => void): () => void {
    return subscribe(this.#unreachableListeners, listener);
  }

  /** Returns a function that unregisters `listener`, as onUnreachable. */
  onSnapshotStatus(listener: (channelId: string, peer: number, status: 'finish' | 'failure') => void): () => void {
    return subscribe(this.#snapshotListeners, listener);
  }

  /** Returns a function that unregisters `listener`, as onUnreachable; the channels told are those onUnreachable would tell. */
  onRefused(listener: (peer: number, channelId: string | undefined, reason: string) => void): () => void {
    return subscribe(this.#refusedListeners, listener);
  }

  /** The node-wide consenter list: the peers of every channel that has no list of its own (setChannelPeers). */
  updatePeers(peers: readonly ClusterPeer[]): void {
    if (this.#state !== TransportState.Running) {
      // A config change racing node shutdown: nothing to connect any more.
      this.#log.debug('updatePeers after close ignored');
      return;
    }
    this.#directory.setShared(
      validatePeers(
        peers.filter((p) => !this.#localIds.has(p?.id)),
        this.selfId,
        'updatePeers(peers)',
      ),
    );
    this.#reconcile();
  }

  /**
   * A channel's own consenters, numbered as its config numbers them, with
   * `localId` this node's id there (an entry under it, or with this node's
   * own TLS key, is this node and skipped). Messages of the channel go to
   * and are accepted from these only. `undefined` drops the channel's list.
   */
  setChannelPeers(channelId: string, localId: number, peers: readonly ClusterPeer[] | undefined): void {
    if (this.#state !== TransportState.Running) return;
    if (peers === undefined) {
      this.#directory.setChannel(channelId, undefined);
    } else {
      assert.ok(this.isLocalId(localId), `setChannelPeers("${channelId}"): ${localId} is not an id of this node (addLocalId first)`);
      const pinned = validatePeers(peers, localId, `setChannelPeers("${channelId}")`);
      for (const [id, peer] of pinned) if (peer.pinnedKey.equals(this.#ownKey)) pinned.delete(id);
      this.#directory.setChannel(channelId, { localId, peers: pinned });
    }
    this.#reconcile();
  }

  /** Per-peer view for tests and the operations view: the links speaking as selfId. */
  peerStatus(): PeerLinkStatus[] {
    return [...this.#links.values()]
      .filter((link) => link.localId === this.selfId)
      .map((link) => ({ id: link.peer.id, address: link.peer.address, state: link.state, queuedFrames: link.queuedFrames, queuedBytes: link.queuedBytes }));
  }

  /** Ends every stream, refuses pending submits and stops the listener. Idempotent. */
  async close(): Promise<void> {
    if (this.#state !== TransportState.Running) return;
    this.#state = TransportState.Closing;
    for (const link of this.#links.values()) link.close(`the cluster transport of consenter ${this.selfId} is closing`);
    this.#inbound.closeAll();
    await new Promise<void>((resolve) => {
      // Streams were ended above; forceShutdown covers connections that never sent a stream.
      this.#server.tryShutdown(() => resolve());
      this.#server.forceShutdown();
    });
    this.#state = TransportState.Closed;
    this.#log.info('cluster transport closed');
  }

  /**
   * Brings the links and inbound streams in line with the lists: closes links
   * to an orderer no list names under that id any more (removed, its key
   * rotated, its address moved), speaking as an id this node dropped, or
   * speaking as an id no list naming that orderer so gives this node any more
   * (a channel that re-numbered this node: the old id must not keep a stream
   * open, nor keep speaking on it, even while it stays an id of this node), dials
   * the wanted ones not up, and ends inbound streams whose id and key no list
   * pins together any more (they must say Hello again).
   */
  #reconcile(): void {
    for (const [key, link] of this.#links) {
      const nodeKey = nodeKeyOf(link.peer);
      if (this.isLocalId(link.localId) && this.#directory.holdsLink(link.localId, link.peer.id, nodeKey)) continue;
      const why = !this.isLocalId(link.localId)
        ? `this node no longer speaks as consenter ${link.localId}`
        : this.#directory.holds(link.peer.id, nodeKey)
          ? `no channel that names it so runs this node as consenter ${link.localId} any more`
          : `no channel names it consenter ${link.peer.id} at ${link.peer.address} with this key any more`;
      this.#log.info({ peer: link.peer.id, as: link.localId }, `consenter ${link.peer.id}: ${why}`);
      link.close(`consenter ${link.peer.id} was removed or updated: ${why}`);
      this.#links.delete(key);
    }
    for (const { localId, peer } of this.#directory.wanted()) {
      if (!this.isLocalId(localId)) continue;
      const key = linkKey(localId, peer);
      if (this.#links.has(key)) continue;
      const link = this.#newLink(peer, localId);
      this.#links.set(key, link);
      link.connect();
    }
    this.#inbound.dropUnpinned();
  }

  /** The link to consenter `peer` of `channelId` speaking as `local` (made on first use); undefined for an unknown peer. */
  #linkAs(local: number, channelId: string | undefined, peer: number): PeerLink | undefined {
    const pinned = this.#directory.peerOf(channelId, peer);
    if (pinned === undefined) return undefined;
    const key = linkKey(local, pinned);
    const known = this.#links.get(key);
    if (known !== undefined) return known;
    const link = this.#newLink(pinned, local);
    this.#links.set(key, link);
    return link;
  }

  #newLink(peer: PinnedPeer, localId: number): PeerLink {
    const nodeKey = nodeKeyOf(peer);
    return new PeerLink(peer, {
      ...(localId !== this.selfId && { localId }),
      settings: this.#settings,
      metrics: this.#metrics,
      logger: this.#log,
      onBroken: (id) => {
        for (const channelId of this.#directory.channelsReaching(localId, id, nodeKey))
          this.#notify(this.#unreachableListeners, [id, channelId], 'onUnreachable');
      },
      onSnapshotStatus: (channel, id, status) => this.#notify(this.#snapshotListeners, [channel, id, status], 'onSnapshotStatus'),
      onRefused: (id, reason) => {
        for (const channelId of this.#directory.channelsReaching(localId, id, nodeKey))
          this.#notify(this.#refusedListeners, [id, channelId, reason], 'onRefused');
      },
    });
  }

  /** Calls every listener; one that throws is logged and does not stop the others or the link. */
  #notify<A extends unknown[]>(listeners: ReadonlyArray<(...args: A) => void>, args: A, what: string): void {
    for (const listener of listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.#log.error({ args, err: error }, `an ${what} listener threw`);
      }
    }
  }
}

/** A link: this node as `local` to consenter `peer.id` at that orderer (its address and key). */
function linkKey(local: number, peer: PinnedPeer): string {
  return `${local}>${peer.id}@${nodeKeyOf(peer)}`;
}

function subscribe<L>(listeners: L[], listener: L): () => void {
  listeners.push(listener);
  return () => {
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  };
}
