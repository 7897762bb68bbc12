// GrpcClusterTransport: the ClusterTransport of a node, over gRPC with mutual
// TLS. One listener takes the streams other consenters dial (inbound.ts); one
// PeerLink per other consenter dials it at start (again when it dials us) and writes our frames
// (peerLink.ts). Every channel on the node shares these streams.

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Message } from '../raft/index.js';
import type { ClusterChannelHandler, ClusterPeer, ClusterTransport } from './types.js';
import { ClusterOptionsError, ClusterUnavailableError } from './errors.js';
import { InboundStreams } from './inbound.js';
import { ClusterMetrics } from './metrics.js';
import { validateClusterOptions, validatePeers, type ClusterSettings, type ClusterTransportOptions, type PinnedPeer } from './options.js';
import { LinkState, PeerLink } from './peerLink.js';
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
  // Invariant: #links has exactly one link per id of #peers.
  #peers: ReadonlyMap<number, PinnedPeer>;
  readonly #links = new Map<number, PeerLink>();
  /**
   * Other ids this node answers to and speaks as, beside selfId: a channel
   * that removed this node and added it again gave it a new Raft id (Fabric
   * numbers a re-added consenter anew), while the node keeps its id elsewhere.
   * Invariant: disjoint from #peers' ids; never holds selfId.
   */
  readonly #localIds = new Set<number>();
  /** Links speaking as an id of #localIds, keyed aliasKey(local, peer); made on first use. Invariant: each peer is in #peers. */
  readonly #aliasLinks = new Map<string, PeerLink>();
  readonly #handlers = new Map<string, ClusterChannelHandler>();
  readonly #unreachableListeners: Array<(peer: number) => void> = [];
  readonly #snapshotListeners: Array<(channelId: string, peer: number, status: 'finish' | 'failure') => void> = [];
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
    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(settings.tls.caPems.join('\n')),
      [{ cert_chain: Buffer.from(settings.tls.certPem), private_key: Buffer.from(settings.tls.keyPem) }],
      // Mutual TLS: a client without a certificate from one of caPems is refused at the handshake.
      true,
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
    this.#peers = settings.peers;
    this.#inbound = new InboundStreams({
      settings,
      metrics: this.#metrics,
      logger: this.#log,
      peers: () => this.#peers,
      handler: (channel) => this.#handlers.get(channel),
      isLocalId: (id) => this.isLocalId(id),
      peerAdmitted: (id) => this.#links.get(id)?.peerIsUp(),
    });
    server.addService(clusterServiceDefinition, { Step: this.#inbound.accept });
    for (const peer of this.#peers.values()) this.#links.set(peer.id, this.#newLink(peer));
    for (const link of this.#links.values()) link.connect();
    this.#log.info({ port, peers: [...this.#peers.keys()], nativeFrameDecoding: settings.frames.nativeAcceleration }, 'cluster transport listening');
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
   * re-added it under a new Raft id). A peer configured under that id (this
   * node itself, as a channel's consenter list names it) is dropped.
   */
  addLocalId(id: number): void {
    assert.ok(Number.isInteger(id) && id > 0, `addLocalId: ${id} is not a positive integer`);
    if (this.isLocalId(id)) return;
    this.#localIds.add(id);
    if (this.#peers.has(id)) {
      this.updatePeers([...this.#peers.values()]);
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
    for (const peer of peers) if (!this.isLocalId(peer)) this.#linkAs(local, peer)?.connect();
  }

  /** Stops answering as `id` (its channel stopped here) and closes the links that spoke as it. */
  removeLocalId(id: number): void {
    if (!this.#localIds.delete(id)) return;
    for (const [key, link] of this.#aliasLinks) {
      if (!key.startsWith(`${id}>`)) continue;
      link.close(`this node no longer speaks as consenter ${id}`);
      this.#aliasLinks.delete(key);
    }
  }

  /** The message's `from` picks the id this node speaks as: selfId, or one of addLocalId. */
  sendConsensus(channelId: string, to: number, message: Message): void {
    assert.equal(message.to, to, `sendConsensus: message.to ${message.to} differs from to ${to}`);
    if (this.#state !== TransportState.Running) return;
    assert.ok(this.isLocalId(message.from), `sendConsensus from ${message.from}, which is not an id of this node (${this.selfId})`);
    const link = this.#linkAs(message.from, to);
    assert.ok(link !== undefined, `sendConsensus to consenter ${to}, which is not a configured peer of consenter ${this.selfId}`);
    link.sendConsensus(channelId, message);
  }

  /** `from`: the id this node speaks as (default selfId; another one for a channel that re-added it). */
  forwardSubmit(channelId: string, to: number, envelope: Uint8Array, from = this.selfId): Promise<void> {
    assert.ok(!this.isLocalId(to), 'forwardSubmit to this node itself: the chain submits locally when it leads');
    assert.ok(this.isLocalId(from), `forwardSubmit as ${from}, which is not an id of this node (${this.selfId})`);
    if (this.#state !== TransportState.Running) {
      return Promise.reject(new ClusterUnavailableError(to, `the cluster transport of consenter ${this.selfId} is closed`));
    }
    const link = this.#linkAs(from, to);
    // The leader id comes from the network and may name a consenter not (yet) configured here.
    if (link === undefined) return Promise.reject(new ClusterUnavailableError(to, `consenter ${to} is not a configured peer of consenter ${this.selfId}`));
    return link.forwardSubmit(channelId, envelope);
  }

  setHandler(channelId: string, handler: ClusterChannelHandler | undefined): void {
    if (handler === undefined) this.#handlers.delete(channelId);
    else this.#handlers.set(channelId, handler);
  }

  /** `from`: as forwardSubmit. A link not used yet is not reachable. */
  isReachable(peer: number, from = this.selfId): boolean {
    const link = from === this.selfId ? this.#links.get(peer) : this.#aliasLinks.get(aliasKey(from, peer));
    return link?.state === LinkState.Established;
  }

  /** `from`: as forwardSubmit. An unknown peer is ignored (the leader id came from the network). */
  probe(peer: number, from = this.selfId): void {
    if (this.#state !== TransportState.Running || this.isLocalId(peer)) return;
    this.#linkAs(from, peer)?.probe();
  }

  /** Returns a function that unregisters `listener` (beyond the contract: a removed channel should call it). */
  onUnreachable(listener: (peer: number) => void): () => void {
    return subscribe(this.#unreachableListeners, listener);
  }

  /** Returns a function that unregisters `listener`, as onUnreachable. */
  onSnapshotStatus(listener: (channelId: string, peer: number, status: 'finish' | 'failure') => void): () => void {
    return subscribe(this.#snapshotListeners, listener);
  }

  updatePeers(peers: readonly ClusterPeer[]): void {
    if (this.#state !== TransportState.Running) {
      // A config change racing node shutdown: nothing to connect any more.
      this.#log.debug('updatePeers after close ignored');
      return;
    }
    const next = validatePeers(
      peers.filter((p) => !this.#localIds.has(p?.id)),
      this.selfId,
      'updatePeers(peers)',
    );
    for (const [id, link] of this.#links) {
      const updated = next.get(id);
      const keyChanged = updated === undefined || !updated.pinnedKey.equals(link.peer.pinnedKey);
      if (updated !== undefined && !keyChanged && updated.address === link.peer.address) continue;
      const why =
        updated === undefined ? 'removed from the consenters' : keyChanged ? 'its TLS certificate was rotated' : `its address changed to ${updated.address}`;
      this.#log.info({ peer: id }, `consenter ${id}: ${why}`);
      link.close(`consenter ${id} was ${updated === undefined ? 'removed' : 'updated'}: ${why}`);
      this.#links.delete(id);
      // Its inbound stream was authenticated against the old pin: it must say Hello again.
      if (keyChanged) this.#inbound.dropPeer(id, why);
    }
    this.#peers = next;
    for (const peer of next.values()) {
      if (!this.#links.has(peer.id)) {
        const link = this.#newLink(peer);
        this.#links.set(peer.id, link);
        link.connect();
      }
    }
    // Links speaking as another id follow their peer: made again on next use if it changed.
    for (const [key, link] of this.#aliasLinks) {
      const updated = next.get(link.peer.id);
      if (updated?.pinnedKey.equals(link.peer.pinnedKey) && updated.address === link.peer.address) continue;
      link.close(`consenter ${link.peer.id} was removed or updated`);
      this.#aliasLinks.delete(key);
    }
  }

  /** Per-peer view for tests and the operations view. */
  peerStatus(): PeerLinkStatus[] {
    return [...this.#links.values()].map((link) => ({ id: link.peer.id, address: link.peer.address, state: link.state, queuedFrames: link.queuedFrames }));
  }

  /** Ends every stream, refuses pending submits and stops the listener. Idempotent. */
  async close(): Promise<void> {
    if (this.#state !== TransportState.Running) return;
    this.#state = TransportState.Closing;
    for (const link of [...this.#links.values(), ...this.#aliasLinks.values()]) link.close(`the cluster transport of consenter ${this.selfId} is closing`);
    this.#inbound.closeAll();
    await new Promise<void>((resolve) => {
      // Streams were ended above; forceShutdown covers connections that never sent a stream.
      this.#server.tryShutdown(() => resolve());
      this.#server.forceShutdown();
    });
    this.#state = TransportState.Closed;
    this.#log.info('cluster transport closed');
  }

  /** The link to `peer` speaking as `local` (made on first use for an id of addLocalId); undefined for an unknown peer. */
  #linkAs(local: number, peer: number): PeerLink | undefined {
    if (local === this.selfId) return this.#links.get(peer);
    const key = aliasKey(local, peer);
    const known = this.#aliasLinks.get(key);
    if (known !== undefined) return known;
    const pinned = this.#peers.get(peer);
    if (pinned === undefined) return undefined;
    const link = this.#newLink(pinned, local);
    this.#aliasLinks.set(key, link);
    return link;
  }

  #newLink(peer: PinnedPeer, localId?: number): PeerLink {
    return new PeerLink(peer, {
      ...(localId !== undefined && { localId }),
      settings: this.#settings,
      metrics: this.#metrics,
      logger: this.#log,
      onBroken: (id) => this.#notify(this.#unreachableListeners, [id], 'onUnreachable'),
      onSnapshotStatus: (channel, id, status) => this.#notify(this.#snapshotListeners, [channel, id, status], 'onSnapshotStatus'),
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

function aliasKey(local: number, peer: number): string {
  return `${local}>${peer}`;
}

function subscribe<L>(listeners: L[], listener: L): () => void {
  listeners.push(listener);
  return () => {
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  };
}
