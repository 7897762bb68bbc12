// A follower that applies many blocks in one Ready (its disk stalled while
// the others ordered on, as a node rejoining after a wipe or a long pause)
// crosses its snapshot interval in the middle of that Ready. The snapshot
// compacts the Raft log; it must wait until Raft counts the entries applied,
// or a campaign in that window finds its unapplied entries compacted and the
// Raft core asserts (the nemesis saw the node die: "unapplied entries [1199,
// 1380) were compacted").

import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, type Message } from '../../src/raft/index.js';
import { CHANNEL, TestCluster } from './harness.js';

let c: TestCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('chain: a snapshot taken while a long Ready is applied', () => {
  it('never compacts entries Raft has not been told are applied', async () => {
    c = new TestCluster({
      options: { snapshotIntervalSizeBytes: 6000, batchSize: { maxMessageCount: 1, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } },
    });
    await c.start();
    await c.waitForLeader();
    const leader = c.leaderId();
    const slow = c.ids.find((id) => id !== leader)!;
    const others = c.ids.filter((id) => id !== slow);
    // The slow node's Ready loop waits on its disk while the others commit 40 blocks:
    // its raft receives them (and the commit index), and applies them in one Ready later.
    c.stallDisk(slow);
    await Promise.all(Array.from({ length: 40 }, () => c!.chain(leader).submit(c!.envelope().bytes)));
    await c.tickUntil(() => others.every((id) => c!.txIds(id).length === 40), 80, 'blocks on the other nodes');

    // At each snapshot of the slow node, ask it to campaign at once (a leader transfer's
    // MsgTimeoutNow, stepped synchronously): Raft then scans its unapplied entries.
    const raftStorage = c.node(slow).env.channel(CHANNEL).raft;
    const handler = c.node(slow).transport.handler(CHANNEL)!;
    const takeSnapshot = raftStorage.takeSnapshot.bind(raftStorage);
    const failures: string[] = [];
    let snapshots = 0;
    raftStorage.takeSnapshot = (index, cs, data) => {
      const taken = takeSnapshot(index, cs, data);
      snapshots++;
      const term = c!.chain(slow).status().raftTerm;
      const timeoutNow: Message = {
        type: MessageType.MsgTimeoutNow,
        to: slow,
        from: leader,
        term,
        logTerm: 0,
        index: 0,
        entries: [],
        commit: 0,
        reject: false,
        rejectHint: 0,
      };
      try {
        handler.onConsensus(leader, timeoutNow);
      } catch (err) {
        failures.push((err as Error).message);
      }
      return taken;
    };
    c.resumeDisk(slow);
    await c.tickUntil(() => c!.chain(slow).height() >= 41, 120, 'the slow node writing the 40 blocks');
    expect(snapshots).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
