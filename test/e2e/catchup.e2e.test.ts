// Snapshots and catch-up with real `orderer start` processes on loopback, on a
// channel whose snapshot interval is tiny (a snapshot every block or two):
// 1. a follower stopped while many blocks are ordered (the leader snapshots
//    and compacts past it) is restarted: it receives a snapshot, pulls the
//    missing blocks over Deliver from the other orderers, then replicates and
//    writes new blocks itself;
// 2. a follower whose data directory was wiped rejoins the same way;
// 3. a far-behind follower catches up while the first orderer it would pull
//    from is down (the puller leaves it for the next one).
// Each ends with the check: same blocks on every node, valid hash
// chain, every acknowledged envelope exactly once.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSerializedIdentity, readBlockSignatures, type Block } from '../../src/block/index.js';
import type { SignedEnvelope } from '../../src/client/envelopePool.js';
import { checkChannel, order, servedBlocks, waitLeaderOf, type Setup } from './channelSupport.js';
import { dataDirOf } from './catchupSupport.js';
import { setUpWithRaft } from './configUpdateSupport.js';
import { logMessages, metricOf, waitHealthz, waitUntil } from './nodeSupport.js';

const CHANNEL = 'catchup-channel';
/** Blocks hold up to 50 envelopes of 1 KiB (about 30 under the tests' load): a snapshot every block or two. */
const SNAPSHOT_INTERVAL = '32 KB';
/** Envelopes ordered while a follower is away: tens of blocks, each followed by a snapshot and a compaction. */
const ORDERED_WHILE_AWAY = 800;
const SNAPSHOT_METRIC = 'consensus_etcdraft_snapshot_block_number';
const PULLED_METRIC = 'consensus_etcdraft_catchup_blocks_pulled';
const COMMITTED_METRIC = 'consensus_etcdraft_committed_block_number';

const disposers: Array<() => Promise<void>> = [];
let setup: Setup;
/** Every envelope acknowledged so far, over all the tests (they share the chain). */
const acknowledged: SignedEnvelope[] = [];

beforeAll(async () => {
  setup = await setUpWithRaft(CHANNEL, disposers, { snapshotIntervalSize: SNAPSHOT_INTERVAL });
}, 120_000);

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 60_000);

/** Orders `count` envelopes through node `id` once it knows a leader (a node just restarted may not yet); all must be acknowledged. */
async function orderVia(id: number, count: number): Promise<void> {
  await waitHealthz(setup, id, 30_000);
  const acked = await order(setup, id, CHANNEL, count);
  expect(acked.length).toBe(count);
  acknowledged.push(...acked);
}

/** Height of the channel on node `id` as its Deliver serves it. */
async function heightOf(id: number): Promise<number> {
  return (await servedBlocks(setup, id, CHANNEL)).length;
}

/** True once node `id` reports it committed block `number` (pulled blocks count). */
async function committedAtLeast(id: number, number: number): Promise<boolean> {
  return ((await metricOf(setup, id, COMMITTED_METRIC, CHANNEL)) ?? -1) >= number;
}

/** Stops node `id` (SIGTERM: a clean stop) and expects exit code 0. */
async function stopNode(id: number): Promise<void> {
  expect(await setup.cluster.process(id).stop(15_000)).toBe(0);
}

/** Orders through `via` (a follower being down), then waits until the leader's snapshot is past block `pastBlock`; resolves with that snapshot's block. */
async function orderPastSnapshot(leader: number, via: number, pastBlock: number): Promise<number> {
  await orderVia(via, ORDERED_WHILE_AWAY);
  let snapshotBlock = -1;
  await waitUntil(`a snapshot on node ${leader} past block ${pastBlock}`, 30_000, async () => {
    snapshotBlock = (await metricOf(setup, leader, SNAPSHOT_METRIC, CHANNEL)) ?? -1;
    return snapshotBlock > pastBlock;
  });
  return snapshotBlock;
}

/** After a restart of node `id` whose log had `linesBefore` messages: it received a snapshot, pulled blocks over Deliver and says so. */
async function expectPulled(id: number, linesBefore: number, upToBlock: number): Promise<void> {
  await waitUntil(`node ${id} to pull blocks`, 60_000, async () => ((await metricOf(setup, id, PULLED_METRIC, CHANNEL)) ?? 0) > 0);
  await waitUntil(`node ${id} to commit block ${upToBlock}`, 60_000, () => committedAtLeast(id, upToBlock));
  // Raft's own line (the leader sent a snapshot: its log no longer had the entries this node lacked),
  // then the puller's. The node writes its log asynchronously: a line may land after the metric moved.
  const expected = [/ restored snapshot \[index: \d+, term: \d+\]$/, /^pulling blocks \d+\.\.\d+ from other orderers$/, /^caught up to block \d+$/];
  const missing = (): RegExp[] => {
    const since = logMessages(setup, id).slice(linesBefore);
    return expected.filter((pattern) => !since.some((m) => pattern.test(m)));
  };
  await waitUntil(
    () => `node ${id} to log ${missing().join(', ')}:\n${logMessages(setup, id).slice(linesBefore).join('\n')}`,
    10_000,
    () => missing().length === 0,
  );
}

/** Rounds of ordering after which a caught-up node must have written a block itself. */
const REPLICATION_ROUNDS_MAX = 5;

/**
 * The caught-up node replicates again: envelopes sent to it are ordered, and
 * it writes (signs) blocks from Raft entries itself, not only pulls others'.
 * With a snapshot every block or two (and 4 entries kept), a node lagging a
 * few entries at a snapshot gets another one and pulls again, so a round may
 * hold no block of its own; one in REPLICATION_ROUNDS_MAX must.
 */
async function expectReplicatesAgain(id: number): Promise<void> {
  const ownCert = fs.readFileSync(path.join(setup.dir, `nodes/node${id}/msp/signcerts/cert.pem`), 'utf8');
  const signersOf = (block: Block): string[] =>
    readBlockSignatures(block).signedData.map((s) => new TextDecoder().decode(decodeSerializedIdentity(s.creator).idBytes));
  const other = setup.cluster.nodes.map((n) => n.id).find((o) => o !== id && setup.cluster.process(o).running)!;
  for (let round = 1; round <= REPLICATION_ROUNDS_MAX; round++) {
    const from = await heightOf(id);
    await orderVia(id, 100);
    await waitUntil(`node ${id} to match node ${other}`, 60_000, async () => (await heightOf(id)) === (await heightOf(other)));
    const written = (await servedBlocks(setup, id, CHANNEL)).slice(from);
    if (written.some((block) => signersOf(block).length === 1 && signersOf(block)[0] === ownCert)) return;
  }
  expect.fail(`node ${id} wrote none of the blocks of ${REPLICATION_ROUNDS_MAX} rounds itself: it only pulled them`);
}

describe('snapshots and catch-up of real nodes', () => {
  it('a follower restarted after the leader compacted far past it gets a snapshot, pulls the missing blocks over Deliver and replicates again', async () => {
    const leader = await waitLeaderOf(setup, CHANNEL, 30_000);
    const [behind, other] = setup.cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [number, number];
    await orderVia(other, 100);
    await waitUntil(`node ${behind} to commit the first envelopes`, 30_000, async () => (await heightOf(behind)) === (await heightOf(leader)));
    const lastBlockBehind = (await heightOf(behind)) - 1;
    await stopNode(behind);

    const snapshotBlock = await orderPastSnapshot(leader, other, lastBlockBehind + 10);
    const linesBefore = logMessages(setup, behind).length;
    setup.cluster.process(behind).start();
    await setup.cluster.waitListening(behind, 60_000);
    await expectPulled(behind, linesBefore, snapshotBlock);

    await expectReplicatesAgain(behind);
    await checkChannel(setup, CHANNEL, [1, 2, 3], acknowledged);
  }, 200_000);

  it('a follower whose data directory was wiped rejoins through a snapshot and the block puller and ends identical', async () => {
    const leader = await waitLeaderOf(setup, CHANNEL, 30_000);
    const [, wiped] = setup.cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [number, number];
    const via = setup.cluster.nodes.map((n) => n.id).find((id) => id !== wiped && id !== leader)!;
    await stopNode(wiped);
    fs.rmSync(dataDirOf(setup, wiped), { recursive: true, force: true });
    expect(fs.existsSync(dataDirOf(setup, wiped))).toBe(false);

    const snapshotBlock = await orderPastSnapshot(leader, via, 0);
    const linesBefore = logMessages(setup, wiped).length;
    setup.cluster.process(wiped).start();
    await setup.cluster.waitListening(wiped, 60_000);
    await expectPulled(wiped, linesBefore, snapshotBlock);
    const pulled = (await metricOf(setup, wiped, PULLED_METRIC, CHANNEL)) ?? 0;
    expect(pulled).toBeGreaterThanOrEqual(snapshotBlock); // from block 1: the wiped node had nothing but block 0

    // A leader may have moved (a wiped node's lost log makes the leader hand over); order through whoever leads now.
    await waitLeaderOf(setup, CHANNEL, 30_000);
    await expectReplicatesAgain(wiped);
    await checkChannel(setup, CHANNEL, [1, 2, 3], acknowledged);
  }, 200_000);

  it('a far-behind follower catches up while the first orderer it would pull from is down: that one fails, the next serves', async () => {
    // Node 1's endpoint comes first in the channel's orderer endpoints: it is the one down, so it must be a follower.
    let leader = await waitLeaderOf(setup, CHANNEL, 30_000);
    if (leader === 1) {
      await stopNode(1);
      setup.cluster.process(1).start();
      await setup.cluster.waitListening(1, 60_000);
      leader = await waitLeaderOf(setup, CHANNEL, 30_000);
    }
    const down = 1;
    const behind = [2, 3].find((id) => id !== leader)!;
    await waitUntil(`node ${behind} to match node ${leader}`, 60_000, async () => (await heightOf(behind)) === (await heightOf(leader)));
    const lastBlockBehind = (await heightOf(behind)) - 1;
    await stopNode(behind);
    const snapshotBlock = await orderPastSnapshot(leader, down, lastBlockBehind + 10);
    await stopNode(down);

    // The leader and the restarted node are a quorum; node 1 is unreachable while node `behind` pulls.
    const linesBefore = logMessages(setup, behind).length;
    setup.cluster.process(behind).start();
    await setup.cluster.waitListening(behind, 60_000);
    await expectPulled(behind, linesBefore, snapshotBlock);
    expect((await metricOf(setup, behind, 'consensus_etcdraft_catchup_source_failures', CHANNEL)) ?? 0).toBeGreaterThanOrEqual(1);
    const since = logMessages(setup, behind).slice(linesBefore);
    expect(
      since.some((m) => /^pulling blocks from .+ failed; trying the next orderer$/.test(m)),
      since.join('\n'),
    ).toBe(true);

    await waitLeaderOf(setup, CHANNEL, 30_000);
    await expectReplicatesAgain(behind);
    setup.cluster.process(down).start();
    await setup.cluster.waitListening(down, 60_000);
    await checkChannel(setup, CHANNEL, [1, 2, 3], acknowledged);
  }, 200_000);
});
