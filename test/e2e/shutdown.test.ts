// Graceful shutdown with real `orderer start` processes on loopback: SIGTERM
// to the leader of a 3-node channel under load. The leader hands leadership
// over before it exits, so the blocks a surviving node commits never pause
// for 2 heartbeats or more. The channel's timing makes that bound mean
// something on a loaded 2-core machine: tick 100 ms, heartbeat 10 ticks
// (2 heartbeats = 2 s), election 50 ticks (an election after a timeout would
// leave a gap of at least 5 s). Why not 1 s: on 2 cores shared with other
// tests, a WAL fsync stall alone pauses commits for 0.5-0.8 s now and then,
// SIGTERM or not. The leader also exits 0, logs the transfer, and every
// envelope any node acknowledged is committed exactly once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelopePool, loadClientCreator, type SignedEnvelope } from '../../src/cli/envelopePool.js';
import { connectAtomicBroadcast } from '../../src/cli/abClient.js';
import { address, clientTls, readManifest } from '../../src/cli/layout.js';
import { runLoad, type LoadReport } from '../../src/cli/load.js';
import { TICK_INTERVAL_MS } from './helpers.js';
import { checkChannel, servedBlocks, setUp, waitLeaderOf, type Setup } from './channelSupport.js';
import { followBlocks, largestGap, logMessages, setRaftOptions, waitUntil } from './catchupSupport.js';

const CHANNEL = 'shutdown-channel';
const HEARTBEAT_TICK = 10;
const ELECTION_TICK = 50;
const TWO_HEARTBEATS_MS = 2 * HEARTBEAT_TICK * TICK_INTERVAL_MS;
/** Load on each node, envelopes per second: blocks (batch timeout 100 ms) follow each other far closer than a heartbeat. */
const TX_PER_SEC_PER_NODE = 100;
/** Bound on the load: it is stopped once enough blocks followed the leader's exit. */
const LOAD_MAX_MS = 60_000;
/** Load runs this long before the SIGTERM, and this long after the leader exited. */
const STEADY_MS = 3_000;

const disposers: Array<() => Promise<void>> = [];
let setup: Setup;

beforeAll(async () => {
  setup = await setUp(CHANNEL, disposers, { startNodes: [] });
  setRaftOptions(setup.channelFile, { heartbeatTick: HEARTBEAT_TICK, electionTick: ELECTION_TICK });
  setup.cluster.startAll();
  await setup.cluster.waitHealthy(60_000);
}, 120_000);

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 60_000);

/** Paced load on node `id` until `signal` aborts; acknowledged envelopes are pushed to `acknowledged` as they are answered. */
function loadOn(id: number, acknowledged: SignedEnvelope[], signal: AbortSignal): { done: Promise<LoadReport>; close(): void } {
  const manifest = readManifest(setup.dir);
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  const envelopes = createEnvelopePool({ channelId: CHANNEL, creator: loadClientCreator(setup.dir, manifest), count: Math.ceil((TX_PER_SEC_PER_NODE * LOAD_MAX_MS) / 1000) });
  const done = runLoad({
    client,
    envelopes,
    streams: 1,
    windowPerStream: 16,
    durationMs: LOAD_MAX_MS,
    once: true,
    signal,
    maxTxPerSec: TX_PER_SEC_PER_NODE,
    onAcknowledged: (envelope) => acknowledged.push(envelope),
  });
  return { done, close: () => client.close() };
}

describe('SIGTERM of the leader under load', () => {
  it('hands leadership over: the committed blocks pause for less than 2 heartbeats, the leader exits 0 after logging the transfer, nothing acknowledged is lost', async () => {
    const leader = await waitLeaderOf(setup, CHANNEL, 30_000);
    const survivors = setup.cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const watcher = survivors[0]!;
    const height = (await servedBlocks(setup, watcher, CHANNEL)).length;
    const follow = followBlocks(setup, watcher, CHANNEL, height);
    const acknowledged: SignedEnvelope[] = [];
    // The leader's own clients too: what it acknowledged before it stopped serving them must be committed.
    const stopLoad = new AbortController();
    const loads = setup.cluster.nodes.map((n) => loadOn(n.id, acknowledged, stopLoad.signal));
    try {
      await waitUntil('steady blocks before the SIGTERM', 30_000, () => follow.arrivals.length >= 10);
      await new Promise((resolve) => setTimeout(resolve, STEADY_MS - 1000));
      const linesBefore = logMessages(setup, leader).length;
      const sigtermAtMs = performance.now();
      const exitCode = await setup.cluster.process(leader).stop(30_000);
      const exitedAtMs = performance.now();
      expect(exitCode).toBe(0);
      await waitUntil('blocks after the leader exited', 30_000, () => follow.arrivals.some((a) => a.atMs > exitedAtMs + STEADY_MS));
      stopLoad.abort();
      const reports = await Promise.all(loads.map((l) => l.done));
      await follow.stop();

      const lastArrivalMs = follow.arrivals[follow.arrivals.length - 1]!.atMs;
      const gap = largestGap(follow.arrivals, sigtermAtMs, lastArrivalMs);
      console.log(
        `shutdown: node ${leader} SIGTERMed, exited 0 after ${(exitedAtMs - sigtermAtMs).toFixed(0)} ms; ` +
          `largest gap between blocks on node ${watcher} since the SIGTERM ${gap.gapMs.toFixed(0)} ms (blocks ${gap.after} -> ${gap.before}; bound ${TWO_HEARTBEATS_MS} ms); ` +
          `load ${JSON.stringify(reports.map((r) => ({ sent: r.sent, succeeded: r.succeeded, refused: r.refused })))}`,
      );
      expect(gap.gapMs).toBeLessThan(TWO_HEARTBEATS_MS);
      // Blocks kept coming all along: consecutive numbers, none skipped.
      expect(follow.arrivals.map((a) => a.number)).toEqual(follow.arrivals.map((_, i) => height + i));

      const logged = logMessages(setup, leader).slice(linesBefore);
      const newLeader = await waitLeaderOf(setup, CHANNEL, 30_000);
      expect(survivors).toContain(newLeader);
      expect(logged).toContain(`shutting down: transferring leadership to node ${newLeader}`);
      expect(logged).toContain(`leadership handed over to node ${newLeader}`);
      expect(logged).toContain('orderer node stopped');

      // The stopped leader's ledger is checked too once it is back (what it wrote before exiting was durable).
      setup.cluster.process(leader).start();
      await setup.cluster.waitListening(leader, 60_000);
      await checkChannel(setup, CHANNEL, [1, 2, 3], acknowledged);
    } finally {
      stopLoad.abort();
      for (const load of loads) load.close();
      // Already stopped on the way that passes; after a failure, its own error must not hide the first one.
      await follow.stop().catch((error: unknown) => console.warn(`following blocks on node ${watcher}: ${String(error)}`));
    }
  }, 200_000);
});
