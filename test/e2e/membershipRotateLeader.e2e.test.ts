// Rotating the TLS certificate of the Raft LEADER on real `orderer start`
// processes (loopback), under load: `orderer keygen reissue-tls` for the
// leader, `orderer channel update` (the channel file names the certificate by
// path), then the leader is restarted with its new certificate. When the
// rotation commits, the leader hands leadership over (MsgTimeoutNow) while
// the peers still pin its old certificate, so the blocks a follower receives
// over Deliver never pause for an election timeout. Timing as in
// shutdown.test.ts: tick 100 ms, heartbeat 10 ticks, election 50 ticks (an
// election after a timeout leaves a gap of 5 s at least). Ends with the
// issue's check: identical chains, valid hash chain, every acknowledged
// envelope exactly once.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { extractChannelConfig } from '../../src/block/index.js';
import { nodePaths } from '../../src/cli/dev/layout.js';
import { publicKeyOfCertificate } from '../../src/cluster/pinning.js';
import { followBlocks, largestGap } from './catchupSupport.js';
import { checkChannel, orderer, servedBlocks, waitLeaderOf } from './channelSupport.js';
import { configBlockOf, setUpWithRaft, updateChannel } from './configUpdateSupport.js';
import { logRecords, waitUntil } from './nodeSupport.js';
import { TICK_INTERVAL_MS } from './helpers.js';
import { startBackgroundLoad } from './membershipSupport.js';

const CHANNEL = 'rotate-leader';
const HEARTBEAT_TICK = 10;
const ELECTION_TICK = 50;
const ELECTION_TIMEOUT_MS = ELECTION_TICK * TICK_INTERVAL_MS;
/** Load on each follower, envelopes per second: blocks (batch timeout 100 ms) follow each other far closer than a heartbeat. */
const TX_PER_SEC_PER_NODE = 40;
/** Load runs this long before the update, and this long after the leadership moved. */
const STEADY_MS = 2_000;

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

describe("rotating the Raft leader's own TLS certificate", () => {
  it('the leader hands over by MsgTimeoutNow when the rotation commits: no block gap of an election timeout on a follower under load; restarted with its new certificate it replicates; chains identical, nothing acknowledged lost', async () => {
    const setup = await setUpWithRaft(CHANNEL, disposers, { heartbeatTick: HEARTBEAT_TICK, electionTick: ELECTION_TICK });
    const leader = await waitLeaderOf(setup, CHANNEL, 30_000);
    const followers = setup.cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const watcher = followers[0]!;

    const fromNumber = (await servedBlocks(setup, watcher, CHANNEL)).length;
    const follow = followBlocks(setup, watcher, CHANNEL, fromNumber);
    const loads = followers.map((id) => startBackgroundLoad(setup, id, CHANNEL, TX_PER_SEC_PER_NODE));
    try {
      await waitUntil('steady blocks before the update', 30_000, () => follow.arrivals.length >= 10);
      await sleep(STEADY_MS);

      const certFile = path.join(setup.dir, nodePaths(leader).tlsCert);
      const oldCert = fs.readFileSync(certFile, 'utf8');
      const reissued = await orderer(['keygen', 'reissue-tls', '--dir', setup.dir, '--node', String(leader)]);
      expect(reissued.code, reissued.stderr).toBe(0);
      const newCert = fs.readFileSync(certFile, 'utf8');
      expect(publicKeyOfCertificate(newCert).equals(publicKeyOfCertificate(oldCert))).toBe(false);
      const linesBefore = logRecords(setup, leader).length;

      const updateAtMs = performance.now();
      const update = await updateChannel(setup, leader, setup.channelFile);
      expect(update.code, update.stderr).toBe(0);
      const configBlock = await configBlockOf(setup, watcher, CHANNEL, 1, 30_000);
      expect(publicKeyOfCertificate(extractChannelConfig(configBlock).consenters[leader - 1]!.clientTlsCertPem).equals(publicKeyOfCertificate(newCert))).toBe(
        true,
      );

      const newLeader = await waitLeaderOf(setup, CHANNEL, 30_000).then(async (id) => (id === leader ? waitForOtherLeader(setup, leader) : id));
      expect(followers).toContain(newLeader);
      const movedAtMs = performance.now();
      await waitUntil('blocks after the leadership moved', 30_000, () => follow.arrivals.some((a) => a.atMs > movedAtMs + STEADY_MS));
      const gap = largestGap(follow.arrivals, updateAtMs, follow.arrivals.at(-1)!.atMs);
      console.log(
        `leader ${leader} rotated: leadership moved to node ${newLeader}; largest gap between blocks on node ${watcher} from the update until ${STEADY_MS} ms after ` +
          `the move ${gap.gapMs.toFixed(0)} ms (blocks ${gap.after} -> ${gap.before}; election timeout ${ELECTION_TIMEOUT_MS} ms)`,
      );
      expect(gap.gapMs).toBeLessThan(ELECTION_TIMEOUT_MS);
      // Blocks kept coming all along: consecutive numbers, none skipped.
      const numbers = follow.arrivals.map((a) => a.number);
      expect(numbers).toEqual(numbers.map((_, i) => fromNumber + i));

      // Moved by a leader transfer, not an election timeout.
      const leaderLog = logRecords(setup, leader)
        .slice(linesBefore)
        .map((r) => r.msg);
      expect(leaderLog).toContain(
        `certificate of this Raft leader is rotated by config block ${configBlock.header.number}: transferring leadership to node ${newLeader}`,
      );
      expect(logRecords(setup, newLeader).some((r) => r.msg.startsWith(`${newLeader} [term`) && r.msg.includes(`received MsgTimeoutNow from ${leader}`))).toBe(
        true,
      );

      // Restarted with its new certificate, the old leader replicates again.
      await setup.cluster.process(leader).stop(10_000);
      setup.cluster.process(leader).start();
      await setup.cluster.waitListening(leader, 60_000);
      await setup.cluster.waitHealthy(30_000);
      await Promise.all(loads.map((l) => l.waitMore(40, 30_000)));
    } finally {
      await follow.stop().catch((error: unknown) => console.warn(`following blocks on node ${watcher}: ${String(error)}`));
    }
    const acknowledged = (await Promise.all(loads.map((l) => l.stop()))).flat();
    expect(acknowledged.length).toBeGreaterThan(0);
    await checkChannel(setup, CHANNEL, [1, 2, 3], acknowledged);
  }, 180_000);
});

/** Polls until a node other than `old` leads the channel. */
async function waitForOtherLeader(setup: Parameters<typeof waitLeaderOf>[0], old: number): Promise<number> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const id = await waitLeaderOf(setup, CHANNEL, 30_000);
    if (id !== old) return id;
    if (performance.now() > deadline) throw new Error(`node ${old} still leads ${CHANNEL} 30 s after the rotation committed`);
    await sleep(100);
  }
}
