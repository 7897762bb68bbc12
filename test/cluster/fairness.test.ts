// The send queue's lanes over a real stream: what was queued while the link
// connected is written control first, then bulk round-robin across channels.

import { afterEach, expect, test } from 'vitest';
import { TestPki, closeAll, heartbeat, startCluster, waitFor, type TestNode } from './fixtures.js';
import { MessageType, type Message } from '../../src/raft/types.js';
import type { ClusterChannelHandler } from '../../src/cluster/index.js';

const pki = new TestPki();
const MIB = 1024 * 1024;
let nodes: TestNode[] = [];
afterEach(async () => {
  await closeAll(nodes);
  nodes = [];
});

function append(from: number, to: number, index: number, dataBytes: number): Message {
  return { ...heartbeat(from, to, 1), type: MessageType.MsgApp, index, entries: [{ term: 1, index: index + 1, type: 0, data: new Uint8Array(dataBytes) }] };
}

/** Records `channel:type:index` of every consensus message node `node` receives, on channels ch1 and ch2. */
function recordArrivals(node: TestNode): string[] {
  const arrivals: string[] = [];
  for (const channel of ['ch1', 'ch2']) {
    const handler: ClusterChannelHandler = {
      onConsensus: (_from, message) => arrivals.push(`${channel}:${MessageType[message.type]}:${message.index}`),
      onSubmit: () => Promise.resolve(),
    };
    node.transport.setHandler(channel, handler);
  }
  return arrivals;
}

test('a heartbeat queued after 40 MiB of appends is written before them', async () => {
  nodes = await startCluster(pki, 2, { frameBytesMax: 3 * MIB });
  const [one, two] = nodes as [TestNode, TestNode];
  const arrivals = recordArrivals(two);
  // One turn of the event loop: all of it is queued before the first write.
  for (let i = 0; i < 20; i++) one.transport.sendConsensus('ch1', 2, append(1, 2, i, 2 * MIB));
  one.transport.sendConsensus('ch1', 2, { ...heartbeat(1, 2, 1), index: 0 });
  await waitFor(() => arrivals.length === 21, 'the 20 appends and the heartbeat', 60_000);
  expect(arrivals[0]).toBe('ch1:MsgHeartbeat:0');
  // Appends of one channel keep their order.
  expect(arrivals.slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => `ch1:MsgApp:${i}`));
}, 90_000);

test("one channel's backlog of appends does not hold back another channel's", async () => {
  nodes = await startCluster(pki, 2, { frameBytesMax: 3 * MIB });
  const [one, two] = nodes as [TestNode, TestNode];
  const arrivals = recordArrivals(two);
  for (let i = 0; i < 6; i++) one.transport.sendConsensus('ch1', 2, append(1, 2, i, MIB));
  for (let i = 0; i < 2; i++) one.transport.sendConsensus('ch2', 2, append(1, 2, i, MIB));
  await waitFor(() => arrivals.length === 8, 'the 8 appends', 60_000);
  expect(arrivals).toEqual(['ch1:MsgApp:0', 'ch2:MsgApp:0', 'ch1:MsgApp:1', 'ch2:MsgApp:1', 'ch1:MsgApp:2', 'ch1:MsgApp:3', 'ch1:MsgApp:4', 'ch1:MsgApp:5']);
}, 90_000);
