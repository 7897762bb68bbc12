// The cluster transport is one per node, but every chain keeps its channel's
// consenters current on it (updatePeers after a config block). A chain's own
// list must not drop the peers of the node's other channels, so each chain
// gets this view: its updatePeers records the channel's peers and the node
// applies the union of all channels' peers to the real transport.
//
// A channel may also have vouched peers: the consenters of a config block
// eviction suspicion read from the other orderers and verified (an orderer's
// signature under the channel's orderer organizations), newer than any block
// the chain has. A node wiped and restarted from block 0 after a consenter was
// removed and added back (a new Raft id) knows that consenter only by its old
// id: without them it refuses the re-added consenter's streams, and while that
// consenter leads it never hears a leader, so never receives the entries or
// snapshot that would teach it the new ids. Vouched peers only widen who the
// transport talks to (streams accepted, messages sent); Raft's voters still
// come from Raft's own log. They give way once the chain's own peers come
// from a config at or past that block (its ledger holds the block).

import type { Logger } from 'pino';
import type { ClusterPeer, ClusterTransport } from '../cluster/index.js';

/**
 * The node's transport (GrpcClusterTransport). A channel may run this node
 * under another Raft id than the transport's selfId (it removed the node and
 * added it back while it was away): its view then speaks as that id.
 */
export interface NodeTransport extends ClusterTransport {
  forwardSubmit(channelId: string, to: number, envelope: Uint8Array, from?: number): Promise<void>;
  isReachable(peer: number, from?: number): boolean;
  probe?(peer: number, from?: number): void;
  /** True for selfId and every id added for such a channel; absent: selfId only. */
  isLocalId?(id: number): boolean;
}

/** Consenters of a verified config block newer than the chain's ledger, taken for one channel. */
interface Vouched {
  readonly configBlock: number;
  readonly peers: readonly ClusterPeer[];
  /** True once the channel's ledger holds `configBlock`: the chain's own peers then come from that config or a later one. */
  readonly reached: () => boolean;
  readonly updatedAt: number;
}

export class ChannelPeerSets {
  readonly #transport: NodeTransport;
  readonly #log: Logger;
  /**
   * Peers per channel, as each channel last gave them, and its vouched peers.
   * Invariant: what the transport holds is the union over channels of their
   * peers with the vouched ones in place of those of the same id (newest wins
   * on a conflict between channels).
   */
  readonly #byChannel = new Map<string, { peers: readonly ClusterPeer[]; updatedAt: number; vouched?: Vouched }>();
  #updates = 0;
  /** Ids the transport holds as peers now (the union last applied); undefined before the first apply. */
  #peerIds: ReadonlySet<number> | undefined;
  /** "channel/id" pairs whose dropped Raft messages were logged (once each). */
  readonly #droppedLogged = new Set<string>();

  constructor(transport: NodeTransport, log: Logger) {
    this.#transport = transport;
    this.#log = log;
  }

  /** The union of every channel's peers, `candidate` (a channel about to start) included; undefined when ids conflict. */
  conflictWith(channelId: string, candidate: readonly ClusterPeer[]): string | undefined {
    for (const [other, { peers }] of this.#byChannel) {
      if (other === channelId) continue;
      for (const peer of candidate) {
        const known = peers.find((p) => p.id === peer.id);
        if (known !== undefined && (known.address !== peer.address || known.tlsCertPem !== peer.tlsCertPem)) {
          return `consenter ${peer.id} (${peer.address}) differs from consenter ${peer.id} of channel "${other}" (${known.address}); the cluster runs one endpoint and TLS key per id`;
        }
      }
    }
    return undefined;
  }

  set(channelId: string, peers: readonly ClusterPeer[]): void {
    let vouched = this.#byChannel.get(channelId)?.vouched;
    if (vouched?.reached() === true) {
      this.#log.info(
        { channel: channelId, configBlock: vouched.configBlock },
        `channel "${channelId}" reached config block ${vouched.configBlock}: its consenters come from its own config again`,
      );
      vouched = undefined;
    }
    this.#byChannel.set(channelId, { peers: peers.filter((p) => !this.#isLocal(p.id)), updatedAt: ++this.#updates, ...(vouched && { vouched }) });
    this.#apply();
  }

  /**
   * Takes the consenters of config block `configBlock` as the channel's peers
   * in place of those of the same ids, until `reached()` (its ledger holds the
   * block). Only for a config block verified as the channel's (eviction
   * suspicion's, read through the block puller): whom the transport accepts
   * is what this decides. A peer whose id another channel gives another
   * endpoint is left out (that channel's config is this node's own, the
   * warning says which). Returns the peers this adds or changes (none:
   * nothing done).
   */
  vouch(channelId: string, configBlock: number, peers: readonly ClusterPeer[], reached: () => boolean): ClusterPeer[] {
    const entry = this.#byChannel.get(channelId);
    if (entry === undefined || reached()) return [];
    const taken: ClusterPeer[] = [];
    for (const peer of peers) {
      if (this.#isLocal(peer.id)) continue;
      const conflict = this.conflictWith(channelId, [peer]);
      if (conflict === undefined) taken.push(peer);
      else
        this.#log.warn({ channel: channelId, configBlock, consenter: peer.id }, `channel "${channelId}", config block ${configBlock}: ${conflict}: not taken`);
    }
    const current = new Map(this.#peersOf(entry).map((p) => [p.id, p]));
    const added = taken.filter((p) => !samePeer(current.get(p.id), p));
    if (added.length === 0) return [];
    entry.vouched = { configBlock, peers: taken, reached, updatedAt: ++this.#updates };
    this.#apply();
    return added;
  }

  /** A channel's peers: its vouched ones, then its own of other ids. */
  #peersOf(entry: { peers: readonly ClusterPeer[]; vouched?: Vouched }): ClusterPeer[] {
    const vouched = entry.vouched?.peers ?? [];
    return [...vouched, ...entry.peers.filter((p) => !vouched.some((v) => v.id === p.id))];
  }

  delete(channelId: string): void {
    if (this.#byChannel.delete(channelId)) this.#apply();
  }

  /**
   * A ClusterTransport for one channel's chain: everything goes to the node's
   * transport, peer updates through this set. `selfId`: the Raft id the chain
   * runs as (default the transport's; another one must be a local id of it).
   */
  viewFor(channelId: string, selfId = this.#transport.selfId): ClusterTransport {
    const transport = this.#transport;
    const asSelf = selfId === transport.selfId;
    return {
      selfId,
      sendConsensus: (c, to, message) => {
        if (this.#peerIds !== undefined && !this.#peerIds.has(to)) return this.#drop(c, to);
        transport.sendConsensus(c, to, message);
      },
      forwardSubmit: (c, to, envelope) => (asSelf ? transport.forwardSubmit(c, to, envelope) : transport.forwardSubmit(c, to, envelope, selfId)),
      setHandler: (c, handler) => transport.setHandler(c, handler),
      isReachable: (peer) => (asSelf ? transport.isReachable(peer) : transport.isReachable(peer, selfId)),
      onUnreachable: (listener) => transport.onUnreachable(listener),
      ...(transport.probe && { probe: (peer: number) => (asSelf ? transport.probe!(peer) : transport.probe!(peer, selfId)) }),
      ...(transport.onSnapshotStatus && {
        onSnapshotStatus: (listener: Parameters<NonNullable<ClusterTransport['onSnapshotStatus']>>[0]) => transport.onSnapshotStatus!(listener),
      }),
      updatePeers: (peers) => this.set(channelId, peers),
      // The node closes its transport once, after every chain.
      close: async () => undefined,
    };
  }

  /**
   * Raft may still address a consenter that just stopped being a peer (a
   * message of the Ready that applied its removal, an answer to a removed
   * node): dropped, as Fabric's comm drops messages to an unknown destination.
   */
  #drop(channelId: string, to: number): void {
    const key = `${channelId}/${to}`;
    if (this.#droppedLogged.has(key)) return;
    this.#droppedLogged.add(key);
    this.#log.info(
      { channel: channelId, consenter: to },
      `raft messages of channel "${channelId}" to consenter ${to} are dropped: it is not a cluster peer (removed)`,
    );
  }

  #isLocal(id: number): boolean {
    return this.#transport.isLocalId?.(id) ?? id === this.#transport.selfId;
  }

  #apply(): void {
    const union = new Map<number, { peer: ClusterPeer; updatedAt: number; channel: string }>();
    for (const [channel, entry] of this.#byChannel) {
      const updatedAt = Math.max(entry.updatedAt, entry.vouched?.updatedAt ?? 0);
      for (const peer of this.#peersOf(entry)) {
        const known = union.get(peer.id);
        if (known !== undefined && (known.peer.address !== peer.address || known.peer.tlsCertPem !== peer.tlsCertPem)) {
          // A consenter rotated or moved in one channel before the others: the newest update is the live endpoint.
          this.#log.warn(
            { consenter: peer.id, channels: [known.channel, channel] },
            'channels disagree on a consenter endpoint or certificate: using the newest',
          );
          if (known.updatedAt > updatedAt) continue;
        }
        union.set(peer.id, { peer, updatedAt, channel });
      }
    }
    this.#transport.updatePeers([...union.values()].map((u) => u.peer));
    this.#peerIds = new Set(union.keys());
    // A consenter that is a peer again (re-added) gets its drop logged anew if it leaves again.
    for (const key of this.#droppedLogged) if (this.#peerIds.has(Number(key.slice(key.lastIndexOf('/') + 1)))) this.#droppedLogged.delete(key);
  }
}

function samePeer(a: ClusterPeer | undefined, b: ClusterPeer): boolean {
  return a !== undefined && a.address === b.address && a.tlsCertPem === b.tlsCertPem;
}
