// One scrape of a node's /metrics: whether it leads the channel, its
// committed block number, and how many ENDORSER_TRANSACTION envelopes its
// Broadcast service answered SUCCESS (to check the harness's own count).

import http from 'node:http';
import { SCRAPE_TIMEOUT_MS } from '../nodeMetrics.js';

/** A /metrics page far larger than a node's (~13 KB with one channel) is not one. */
const METRICS_BYTES_MAX = 16 * 1024 * 1024;

export interface NodeScrape {
  readonly isLeader: boolean | undefined;
  readonly committedBlockNumber: number | undefined;
  readonly broadcastSuccess: number | undefined;
}

interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function samples(text: string, metric: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const match of line.slice(metric.length + 1, close).matchAll(/(\w+)="([^"]*)"/g)) labels[match[1]!] = match[2]!;
    const value = Number(line.slice(close + 1).trim());
    if (Number.isFinite(value)) out.push({ labels, value });
  }
  return out;
}

export function parseNodeMetrics(text: string, channelId: string): NodeScrape {
  const ofChannel = (metric: string) => samples(text, metric).filter((s) => s.labels['channel'] === channelId);
  const leader = ofChannel('consensus_etcdraft_is_leader')[0]?.value;
  const committed = ofChannel('consensus_etcdraft_committed_block_number')[0]?.value;
  const success = ofChannel('broadcast_processed_count').filter((s) => s.labels['status'] === 'SUCCESS' && s.labels['type'] === 'ENDORSER_TRANSACTION');
  return {
    isLeader: leader === undefined ? undefined : leader === 1,
    committedBlockNumber: committed,
    broadcastSuccess: success.length === 0 ? undefined : success.reduce((sum, s) => sum + s.value, 0),
  };
}

/** Scrapes http://operationsAddress/metrics; undefined when the node does not answer. */
export async function scrapeNode(operationsAddress: string, channelId: string): Promise<NodeScrape | undefined> {
  return (await scrapeNodeChannels(operationsAddress, [channelId]))?.[0];
}

/** One scrape, read for each channel (in the order given); undefined when the node does not answer. */
export async function scrapeNodeChannels(operationsAddress: string, channelIds: readonly string[]): Promise<NodeScrape[] | undefined> {
  const text = await getText(`http://${operationsAddress}/metrics`);
  return text === undefined ? undefined : channelIds.map((channelId) => parseNodeMetrics(text, channelId));
}

/**
 * The body of a 200 answer to GET `url`, or undefined (another status, no answer within SCRAPE_TIMEOUT_MS,
 * a refused connection). node:http rather than fetch: the harness scrapes every node each second, and
 * its CPU is counted as the harness's cost; fetch took about 0.5 ms more per request.
 */
function getText(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: SCRAPE_TIMEOUT_MS }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return resolve(undefined);
      }
      response.setEncoding('utf8');
      let body = '';
      response.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > METRICS_BYTES_MAX) request.destroy();
      });
      response.on('end', () => resolve(body));
      response.on('error', () => resolve(undefined));
      response.on('aborted', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}
