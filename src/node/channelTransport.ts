// The cluster transport is one per node, but each channel numbers its
// consenters itself: after a consenter was removed from a channel and added
// back (the channel's next id, as Fabric numbers it), one Raft id names
// different orderers on different channels, and one orderer has different
// ids. So each channel hands the transport its own consenter list, with this
// node's id there (GrpcClusterTransport.setChannelPeers): its messages go to,
// and are accepted from, the orderers its own config names under its own ids.
// Every chain keeps its list current through its view (updatePeers after a
// config block).
//
// A channel may also have vouched peers: the consenters of a config block
// eviction suspicion read from the other orderers and verified (an orderer's
// signature under the channel's orderer organizations), newer than any block
// the chain has. A node wiped and restarted from block 0 after a consenter was
// removed and added back (a new Raft id) knows that consenter only by its old
// id: without them it refuses the re-added consenter's streams, and while that
// consenter leads it never hears a leader, so never receives the entries or
// snapshot that would teach it the new ids. Vouched peers only widen who the
// transport talks to on that channel (streams accepted, messages sent); Raft's
// voters still come from Raft's own log. They give way once the chain's own
// peers come from a config at or past that block (its ledger holds the block).

import type { Logger } from 'pino';
import type { ClusterPeer, ClusterTransport } from '../cluster/index.js';

/**
 * The node's transport (GrpcClusterTransport). A channel may run this node
 * under another Raft id than the transport's selfId (it removed the node and
 * added it back while it was away): its view then speaks as that id.
 */
export interface NodeTransport extends ClusterTransport {
  forwardSubmit(channelId: string, to: number, envelope: Uint8Array, from?: number): Promise<void>;
  isReachable(peer: number, from?: number, channelId?: string): boolean;
  probe?(peer: number, from?: number, channelId?: string): void;
  /** A channel's own consenters and this node's id there; undefined drops the channel's list. */
  setChannelPeers(channelId: string, localId: number, peers: readonly ClusterPeer[] | undefined): void;
}

/** Consenters of a verified config block newer than the chain's ledger, taken for one channel. */
interface Vouched {
  readonly configBlock: number;
  readonly peers: readonly ClusterPeer[];
  /** True once the channel's ledger holds `configBlock`: the chain's own peers then come from that config or a later one. */
  readonly reached: () => boolean;
}

interface ChannelEntry {
  /** This node's Raft id on the channel. */
  readonly selfId: number;
  /** The channel's consenters as its chain last gave them, this node's entry left out. */
  readonly peers: readonly ClusterPeer[];
  vouched?: Vouched;
}

export class ChannelPeerSets {
  readonly #transport: NodeTransport;
  readonly #log: Logger;
  /**
   * Peers per channel, as each channel last gave them, and its vouched peers.
   * Invariant: the transport holds, per channel, its peers with the vouched
   * ones in place of those of the same id (#peersOf).
   */
  readonly #byChannel = new Map<string, ChannelEntry>();
  /** Ids each channel's list on the transport holds now (the list last applied). */
  readonly #peerIds = new Map<string, ReadonlySet<number>>();
  /** "channel/id" pairs whose dropped Raft messages were logged (once each). */
  readonly #droppedLogged = new Set<string>();

  constructor(transport: NodeTransport, log: Logger) {
    this.#transport = transport;
    this.#log = log;
  }

  /** `selfId`: this node's Raft id on the channel (default: as last set, else the transport's). */
  set(channelId: string, peers: readonly ClusterPeer[], selfId?: number): void {
    const known = this.#byChannel.get(channelId);
    const self = selfId ?? known?.selfId ?? this.#transport.selfId;
    let vouched = known?.vouched;
    if (vouched?.reached() === true) {
      this.#log.info(
        { channel: channelId, configBlock: vouched.configBlock },
        `channel "${channelId}" reached config block ${vouched.configBlock}: its consenters come from its own config again`,
      );
      vouched = undefined;
    }
    this.#byChannel.set(channelId, { selfId: self, peers: peers.filter((p) => p.id !== self), ...(vouched && { vouched }) });
    this.#apply(channelId);
  }

  /**
   * Takes the consenters of config block `configBlock` as the channel's peers
   * in place of those of the same ids, until `reached()` (its ledger holds the
   * block). Only for a config block verified as the channel's (eviction
   * suspicion's, read through the block puller): whom the transport accepts
   * on the channel is what this decides. Returns the peers this adds or
   * changes (none: nothing done).
   */
  vouch(channelId: string, configBlock: number, peers: readonly ClusterPeer[], reached: () => boolean): ClusterPeer[] {
    const entry = this.#byChannel.get(channelId);
    if (entry === undefined || reached()) return [];
    const taken = peers.filter((p) => p.id !== entry.selfId);
    const current = new Map(this.#peersOf(entry).map((p) => [p.id, p]));
    const added = taken.filter((p) => !samePeer(current.get(p.id), p));
    if (added.length === 0) return [];
    entry.vouched = { configBlock, peers: taken, reached };
    this.#apply(channelId);
    return added;
  }

  /**
   * A chain that starts with the consenters of config block `configBlock`,
   * which its ledger has not reached (a re-onboarded chain catching up): they
   * are its peers, vouched until `reached()`, so the older config blocks it
   * applies on the way there (set, through its view's updatePeers) only add
   * to them. `peers`: verified already (the block a re-onboarding recorded).
   */
  setAhead(channelId: string, peers: readonly ClusterPeer[], selfId: number, configBlock: number, reached: () => boolean): void {
    const vouched = { configBlock, peers: peers.filter((p) => p.id !== selfId), reached };
    this.#byChannel.set(channelId, { selfId, peers: [], vouched });
    this.#apply(channelId);
  }

  /** A channel's peers: its vouched ones, then its own of other ids. */
  #peersOf(entry: ChannelEntry): ClusterPeer[] {
    const vouched = entry.vouched?.peers ?? [];
    return [...vouched, ...entry.peers.filter((p) => !vouched.some((v) => v.id === p.id))];
  }

  delete(channelId: string): void {
    if (!this.#byChannel.delete(channelId)) return;
    this.#peerIds.delete(channelId);
    this.#transport.setChannelPeers(channelId, this.#transport.selfId, undefined);
  }

  /**
   * A ClusterTransport for one channel's chain: everything goes to the node's
   * transport, peer updates through this set. `selfId`: the Raft id the chain
   * runs as (default the transport's; another one must be a local id of it).
   */
  viewFor(channelId: string, selfId = this.#transport.selfId): ClusterTransport {
    const transport = this.#transport;
    return {
      selfId,
      sendConsensus: (c, to, message) => {
        const peerIds = this.#peerIds.get(c);
        if (peerIds !== undefined && !peerIds.has(to)) return this.#drop(c, to);
        transport.sendConsensus(c, to, message);
      },
      forwardSubmit: (c, to, envelope) => transport.forwardSubmit(c, to, envelope, selfId),
      setHandler: (c, handler) => transport.setHandler(c, handler),
      isReachable: (peer) => transport.isReachable(peer, selfId, channelId),
      // The transport names the channel whose consenter broke: another channel's id `peer` may be another orderer.
      onUnreachable: (listener) => transport.onUnreachable((peer, channel) => (channel === undefined || channel === channelId) && listener(peer)),
      ...(transport.probe && { probe: (peer: number) => transport.probe!(peer, selfId, channelId) }),
      ...(transport.onSnapshotStatus && {
        onSnapshotStatus: (listener: Parameters<NonNullable<ClusterTransport['onSnapshotStatus']>>[0]) => transport.onSnapshotStatus!(listener),
      }),
      ...(transport.onRefused && {
        onRefused: (listener: Parameters<NonNullable<ClusterTransport['onRefused']>>[0]) =>
          transport.onRefused!((peer, channel, reason) => (channel === undefined || channel === channelId) && listener(peer, channel, reason)),
      }),
      updatePeers: (peers) => this.set(channelId, peers, selfId),
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

  #apply(channelId: string): void {
    const entry = this.#byChannel.get(channelId)!;
    const peers = this.#peersOf(entry);
    this.#transport.setChannelPeers(channelId, entry.selfId, peers);
    const ids = new Set(peers.map((p) => p.id));
    this.#peerIds.set(channelId, ids);
    // A consenter that is a peer again (re-added) gets its drop logged anew if it leaves again.
    for (const key of this.#droppedLogged) {
      const at = key.lastIndexOf('/');
      if (key.slice(0, at) === channelId && ids.has(Number(key.slice(at + 1)))) this.#droppedLogged.delete(key);
    }
  }
}

function samePeer(a: ClusterPeer | undefined, b: ClusterPeer): boolean {
  return a !== undefined && a.address === b.address && a.tlsCertPem === b.tlsCertPem;
}
