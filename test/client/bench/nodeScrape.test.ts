// The harness reads each node's /metrics every second: leader, committed
// block and Broadcast SUCCESS count per channel; a node that does not answer
// 200 gives no reading rather than an error.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { scrapeNodeChannels } from '../../../src/client/bench/nodeScrape.js';

const METRICS = [
  '# HELP consensus_etcdraft_is_leader leader',
  'consensus_etcdraft_is_leader{channel="a"} 1',
  'consensus_etcdraft_is_leader{channel="b"} 0',
  'consensus_etcdraft_committed_block_number{channel="a"} 41',
  'broadcast_processed_count{channel="a",type="ENDORSER_TRANSACTION",status="SUCCESS"} 700',
  'broadcast_processed_count{channel="a",type="CONFIG_UPDATE",status="SUCCESS"} 3',
  '',
].join('\n');

let server: http.Server | undefined;
afterEach(() => server?.close());

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('scrapeNodeChannels', () => {
  it("reads each channel's figures from one GET /metrics", async () => {
    const paths: string[] = [];
    const address = await serve((request, response) => {
      paths.push(request.url ?? '');
      response.end(METRICS);
    });
    expect(await scrapeNodeChannels(address, ['a', 'b'])).toEqual([
      { isLeader: true, committedBlockNumber: 41, broadcastSuccess: 700 },
      { isLeader: false, committedBlockNumber: undefined, broadcastSuccess: undefined },
    ]);
    expect(paths).toEqual(['/metrics']);
  });

  it('gives undefined for an answer other than 200 and for a node that refuses the connection', async () => {
    const address = await serve((_request, response) => {
      response.statusCode = 503;
      response.end('starting');
    });
    expect(await scrapeNodeChannels(address, ['a'])).toBeUndefined();
    server!.close();
    server = undefined;
    expect(await scrapeNodeChannels(address, ['a'])).toBeUndefined();
  });
});
