// Reading a node's state from outside, through its operations listener:
// /healthz for readiness, /metrics (Prometheus text) for leadership and
// committed height. Used by the cluster supervisor, the live view, the e2e
// tests and the cluster benchmark.

/** Bound on one operations request, so a hung node cannot stall a poller. */
export const SCRAPE_TIMEOUT_MS = 2000;

export interface ChannelView {
  readonly isLeader: boolean;
  /** Number of the last committed block (height - 1). */
  readonly committedBlockNumber: number;
}

/** GET http://address/path; undefined when the node does not answer (down, starting, hung). */
async function get(address: string, path: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    // A refused or timed-out connection is an answer here: the node is not up.
    if (error instanceof Error) return undefined;
    throw error;
  }
}

/** True when /healthz answers 200 (every channel knows a Raft leader). */
export async function isHealthy(operationsAddress: string): Promise<boolean> {
  return (await get(operationsAddress, '/healthz'))?.status === 200;
}

/** True when the operations listener answers at all (the node finished start-up); asks the cheap /status, whatever its answer. */
export async function isListening(operationsAddress: string): Promise<boolean> {
  return (await get(operationsAddress, '/status')) !== undefined;
}

/** The value of `metric{channel="<channelId>"}` in Prometheus text, or undefined. */
export function metricValue(text: string, metric: string, channelId: string): number | undefined {
  const prefix = `${metric}{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.indexOf('}');
    if (!line.slice(prefix.length, close).split(',').includes(`channel="${channelId}"`)) continue;
    const value = Number(line.slice(close + 1).trim());
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/** The node's view of `channelId`, or undefined if it does not answer or does not serve the channel. */
export async function channelView(operationsAddress: string, channelId: string): Promise<ChannelView | undefined> {
  const response = await get(operationsAddress, '/metrics');
  if (response === undefined || response.status !== 200) return undefined;
  const isLeader = metricValue(response.body, 'consensus_etcdraft_is_leader', channelId);
  const committed = metricValue(response.body, 'consensus_etcdraft_committed_block_number', channelId);
  if (isLeader === undefined || committed === undefined) return undefined;
  return { isLeader: isLeader === 1, committedBlockNumber: committed };
}
