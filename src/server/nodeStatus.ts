// GET /status on the operations listener: each channel's Raft view (leader,
// term, durable height) as a small JSON document, read straight from the
// channels. A poller that needs leadership and heights (a supervisor, the
// nemesis' health check) gets them for a few microseconds of the node's main
// thread; rendering the whole /metrics text for the same two numbers costs
// milliseconds per read, which a busy or just-restarted node feels.

import type { ChannelRegistry } from '../chain/index.js';

export const STATUS_PATH = '/status';

/** One channel as /status reports it. */
export interface ChannelStatusView {
  readonly channel: string;
  /** 0 when the node knows no leader. */
  readonly leaderId: number;
  readonly isLeader: boolean;
  /** Durable blocks (= the number of the next block). */
  readonly height: number;
  readonly term: number;
}

/** The /status document: the node's id (0 when it serves no channel yet) and its channels, sorted by name. */
export interface NodeStatus {
  readonly nodeId: number;
  readonly channels: readonly ChannelStatusView[];
}

export function nodeStatus(channels: ChannelRegistry): NodeStatus {
  let nodeId = 0;
  const views = channels.list().map((channel) => {
    const s = channel.status();
    nodeId = s.nodeId;
    return { channel: s.channelId, leaderId: s.leaderId, isLeader: s.isLeader, height: s.height, term: s.raftTerm };
  });
  views.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  return { nodeId, channels: views };
}
