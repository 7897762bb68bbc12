// What a node needs to serve one channel: the chain's options (less the
// node's own id and engine) and the channel's consenters as cluster peers.

import type { ChainOptions } from '../chain/index.js';
import type { ClusterPeer } from '../cluster/index.js';

export interface ChannelPlan {
  /** selfId and engine are the node's; the rest is the channel's. */
  readonly chain: Omit<ChainOptions, 'selfId' | 'engine'>;
  /** Every consenter of the channel (this node's entry included; the transport skips it). */
  readonly consenters: readonly ClusterPeer[];
}
