// Who the consenters are, per channel. Each channel numbers its consenters
// itself (a consenter removed and added back gets the channel's next id, as in
// Fabric), so a Raft id means an orderer only within one channel: id 4 may be
// one node on channel x and another on channel y, and one node may be 1 on x
// and 4 on y. A channel's list maps its ids to endpoints and pinned TLS keys
// and says which id is this node's there. The node-wide list (options.peers,
// updatePeers) serves every channel that has no list of its own.
//
// An orderer on the wire is its pinned key and address (`nodeKeyOf`): links
// and inbound streams are per (our id, its id, that orderer), and a message
// of channel C from id N is taken only from the certificate C pins for N.

import type { PinnedPeer } from './options.js';

/** One channel's consenters as this node runs it. */
export interface ChannelPeers {
  /** This node's Raft id on the channel. */
  readonly localId: number;
  /** The other consenters by their Raft id on the channel. */
  readonly peers: ReadonlyMap<number, PinnedPeer>;
}

/** A link to open: speaking as `localId` to `peer`. */
export interface WantedLink {
  readonly localId: number;
  readonly peer: PinnedPeer;
}

/** The orderer a pinned peer names: its endpoint and key, whatever id a channel gives it. */
export function nodeKeyOf(peer: PinnedPeer): string {
  return `${peer.address}|${peer.pinnedKey.toString('base64')}`;
}

export class PeerDirectory {
  /** The node-wide list, for channels without their own. */
  #shared: ReadonlyMap<number, PinnedPeer>;
  readonly #sharedLocalId: number;
  readonly #channels = new Map<string, ChannelPeers>();

  constructor(shared: ReadonlyMap<number, PinnedPeer>, selfId: number) {
    this.#shared = shared;
    this.#sharedLocalId = selfId;
  }

  get shared(): ReadonlyMap<number, PinnedPeer> {
    return this.#shared;
  }

  setShared(peers: ReadonlyMap<number, PinnedPeer>): void {
    this.#shared = peers;
  }

  /** `undefined` removes the channel's own list (it then uses the node-wide one). */
  setChannel(channelId: string, channel: ChannelPeers | undefined): void {
    if (channel === undefined) this.#channels.delete(channelId);
    else this.#channels.set(channelId, channel);
  }

  channelIds(): IterableIterator<string> {
    return this.#channels.keys();
  }

  /** The consenters that `channelId` uses: its own list, else the node-wide one. */
  peersOf(channelId: string | undefined): ReadonlyMap<number, PinnedPeer> {
    return (channelId === undefined ? undefined : this.#channels.get(channelId)?.peers) ?? this.#shared;
  }

  /** Consenter `id` of `channelId` (of the node-wide list when undefined or without a list). */
  peerOf(channelId: string | undefined, id: number): PinnedPeer | undefined {
    return this.peersOf(channelId).get(id);
  }

  /** True when `channelId` pins `key` for consenter `id`: a message of that channel from `id` may come from that certificate. */
  pins(channelId: string, id: number, key: Buffer): boolean {
    return this.peerOf(channelId, id)?.pinnedKey.equals(key) === true;
  }

  /** Every key some list pins for `id` (a Hello names an id only; its channel comes with each message). */
  keysOf(id: number): Buffer[] {
    const keys: Buffer[] = [];
    for (const peers of this.#lists()) {
      const peer = peers.get(id);
      if (peer !== undefined && !keys.some((k) => k.equals(peer.pinnedKey))) keys.push(peer.pinnedKey);
    }
    return keys;
  }

  /** True when some list names this orderer under this id, whatever id it gives this node. */
  holds(id: number, nodeKey: string): boolean {
    for (const peers of this.#lists()) {
      const peer = peers.get(id);
      if (peer !== undefined && nodeKeyOf(peer) === nodeKey) return true;
    }
    return false;
  }

  /**
   * True when a link speaking as `localId` to consenter `id` at `nodeKey` is
   * still wanted: a channel's list names that orderer under that id and this
   * node under `localId`, or the node-wide list names that orderer under that
   * id (a channel without a list of its own may run as any id of this node).
   */
  holdsLink(localId: number, id: number, nodeKey: string): boolean {
    const shared = this.#shared.get(id);
    if (shared !== undefined && nodeKeyOf(shared) === nodeKey) return true;
    for (const channel of this.#channels.values()) {
      const peer = channel.peers.get(id);
      if (channel.localId === localId && peer !== undefined && nodeKeyOf(peer) === nodeKey) return true;
    }
    return false;
  }

  /** The links every list asks for: each peer, as this node's id in that list. */
  wanted(): WantedLink[] {
    const links: WantedLink[] = [];
    for (const peer of this.#shared.values()) links.push({ localId: this.#sharedLocalId, peer });
    for (const channel of this.#channels.values()) for (const peer of channel.peers.values()) links.push({ localId: channel.localId, peer });
    return links;
  }

  /**
   * The channels to tell that the link speaking as `localId` to consenter `id`
   * at `nodeKey` broke: those naming that orderer under that id and this node
   * under `localId`, plus `undefined` when the node-wide list names it.
   */
  channelsReaching(localId: number, id: number, nodeKey: string): Array<string | undefined> {
    const channels: Array<string | undefined> = [];
    const shared = this.#shared.get(id);
    if (shared !== undefined && nodeKeyOf(shared) === nodeKey) channels.push(undefined);
    for (const [channelId, channel] of this.#channels) {
      const peer = channel.peers.get(id);
      if (channel.localId === localId && peer !== undefined && nodeKeyOf(peer) === nodeKey) channels.push(channelId);
    }
    return channels;
  }

  *#lists(): IterableIterator<ReadonlyMap<number, PinnedPeer>> {
    yield this.#shared;
    for (const channel of this.#channels.values()) yield channel.peers;
  }
}
