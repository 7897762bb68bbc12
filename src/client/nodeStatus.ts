// A node's channels as its operations listener's GET /status reports them
// (JSON: leader, term and durable height per channel): what a poller needs
// for leadership and heights without rendering and parsing the /metrics text.

import { SCRAPE_TIMEOUT_MS } from './nodeMetrics.js';

export interface ChannelStatusView {
  readonly channel: string;
  /** 0 when the node knows no leader. */
  readonly leaderId: number;
  readonly isLeader: boolean;
  /** Durable blocks (= the number of the next block). */
  readonly height: number;
  readonly term: number;
}

export interface NodeStatusView {
  readonly nodeId: number;
  readonly channels: readonly ChannelStatusView[];
}

export class NodeStatusFormatError extends Error {}

/** The node's /status; undefined when it does not answer (down, starting, hung) or answers other than 200. */
export async function nodeStatus(operationsAddress: string): Promise<NodeStatusView | undefined> {
  let body: unknown;
  try {
    const response = await fetch(`http://${operationsAddress}/status`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    if (response.status !== 200) return undefined;
    body = await response.json();
  } catch (error) {
    // A refused or timed-out connection is an answer here: the node is not up.
    if (error instanceof Error && !(error instanceof SyntaxError)) return undefined;
    throw error;
  }
  return parseNodeStatus(body);
}

/** Checks the /status document field by field; throws NodeStatusFormatError naming the first bad one. */
export function parseNodeStatus(body: unknown): NodeStatusView {
  const record = (value: unknown, what: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NodeStatusFormatError(`/status: ${what} is not an object`);
    return value as Record<string, unknown>;
  };
  const count = (value: unknown, what: string): number => {
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw new NodeStatusFormatError(`/status: ${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const top = record(body, 'the document');
  if (!Array.isArray(top['channels'])) throw new NodeStatusFormatError('/status: channels is not an array');
  const channels = top['channels'].map((raw, i): ChannelStatusView => {
    const c = record(raw, `channels[${i}]`);
    if (typeof c['channel'] !== 'string') throw new NodeStatusFormatError(`/status: channels[${i}].channel is not a string`);
    if (typeof c['isLeader'] !== 'boolean') throw new NodeStatusFormatError(`/status: channels[${i}].isLeader is not a boolean`);
    return {
      channel: c['channel'],
      leaderId: count(c['leaderId'], `channels[${i}].leaderId`),
      isLeader: c['isLeader'],
      height: count(c['height'], `channels[${i}].height`),
      term: count(c['term'], `channels[${i}].term`),
    };
  });
  return { nodeId: count(top['nodeId'], 'nodeId'), channels };
}
