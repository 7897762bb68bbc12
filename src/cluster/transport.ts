// GrpcClusterTransport: the ClusterTransport of a node, over gRPC with mutual
// TLS. One listener takes the streams other consenters dial (inbound.ts); one
// PeerLink per other consenter dials it lazily and writes our frames
// (peerLink.ts). Every channel on the node shares these streams.

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Message } from '../raft/types.js';
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
  readonly #handlers = new Map<string, ClusterChannelHandler>();
  readonly #unreachableListeners: Array<(peer: number) => void> = [];
  readonly #snapshotListeners: Array<(channelId: string, peer: number, status: 'finish' | 'failure') => void> = [];
  #state = TransportState.Running;

  /** Validates `options`, binds the listener and returns the running transport. Peers are dialed on first use. */
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
    });
    server.addService(clusterServiceDefinition, { Step: this.#inbound.accept });
    for (const peer of this.#peers.values()) this.#links.set(peer.id, this.#newLink(peer));
    this.#log.info({ port, peers: [...this.#peers.keys()] }, 'cluster transport listening');
  }

  /** The registry holding the cluster_comm_* metrics (options.metrics, or a private one). */
  get metricsRegistry(): Registry {
    return this.#metrics.registry;
  }

  sendConsensus(channelId: string, to: number, message: Message): void {
    assert.equal(message.to, to, `sendConsensus: message.to ${message.to} differs from to ${to}`);
    if (this.#state !== TransportState.Running) return;
    const link = this.#links.get(to);
    assert.ok(link !== undefined, `sendConsensus to consenter ${to}, which is not a configured peer of consenter ${this.selfId}`);
    link.sendConsensus(channelId, message);
  }

  forwardSubmit(channelId: string, to: number, envelope: Uint8Array): Promise<void> {
    assert.notEqual(to, this.selfId, 'forwardSubmit to this node itself: the chain submits locally when it leads');
    if (this.#state !== TransportState.Running) {
      return Promise.reject(new ClusterUnavailableError(to, `the cluster transport of consenter ${this.selfId} is closed`));
    }
    const link = this.#links.get(to);
    // The leader id comes from the network and may name a consenter not (yet) configured here.
    if (link === undefined) return Promise.reject(new ClusterUnavailableError(to, `consenter ${to} is not a configured peer of consenter ${this.selfId}`));
    return link.forwardSubmit(channelId, envelope);
  }

  setHandler(channelId: string, handler: ClusterChannelHandler | undefined): void {
    if (handler === undefined) this.#handlers.delete(channelId);
    else this.#handlers.set(channelId, handler);
  }

  isReachable(peer: number): boolean {
    return this.#links.get(peer)?.state === LinkState.Established;
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
    const next = validatePeers(peers, this.selfId, 'updatePeers(peers)');
    for (const [id, link] of this.#links) {
      const updated = next.get(id);
      const keyChanged = updated === undefined || !updated.pinnedKey.equals(link.peer.pinnedKey);
      if (updated !== undefined && !keyChanged && updated.address === link.peer.address) continue;
      const why = updated === undefined ? 'removed from the consenters' : keyChanged ? 'its TLS certificate was rotated' : `its address changed to ${updated.address}`;
      this.#log.info({ peer: id }, `consenter ${id}: ${why}`);
      link.close(`consenter ${id} was ${updated === undefined ? 'removed' : 'updated'}: ${why}`);
      this.#links.delete(id);
      // Its inbound stream was authenticated against the old pin: it must say Hello again.
      if (keyChanged) this.#inbound.dropPeer(id, why);
    }
    this.#peers = next;
    for (const peer of next.values()) {
      if (!this.#links.has(peer.id)) this.#links.set(peer.id, this.#newLink(peer));
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

  #newLink(peer: PinnedPeer): PeerLink {
    return new PeerLink(peer, {
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

function subscribe<L>(listeners: L[], listener: L): () => void {
  listeners.push(listener);
  return () => {
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  };
}
