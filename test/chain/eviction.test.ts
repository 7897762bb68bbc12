// Eviction suspicion: a node without a Raft leader for evictionSuspicionMs
// asks the other orderers for their newest block; if the consenters it
// records no longer include the node, the node stops serving the channel,
// otherwise it keeps waiting and rejoins once it reaches a leader.

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, type Block } from '../../src/block/index.js';
import type { SnapshotCatchUp } from '../../src/chain/index.js';
import { EvictionSuspector, type NewestBlockSource } from '../../src/chain/evictionSuspicion.js';
import { ConfigCluster } from './configCluster.js';
import { TestCluster, TICK_MS } from './harness.js';

const SUSPICION_TICKS = 30;
const logger = pino({ level: 'silent' });
const clusters: TestCluster[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cluster of clusters.splice(0)) await cluster.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function clusterWithBlocks(size: number, settings: ConstructorParameters<typeof TestCluster>[0] = {}): Promise<TestCluster> {
  const cluster = new TestCluster({ size, ...settings });
  clusters.push(cluster);
  await cluster.start();
  const leader = await cluster.waitForLeader();
  await Promise.all(Array.from({ length: 12 }, () => cluster.chain(leader).submit(cluster.envelope().bytes)));
  await cluster.tickUntil(() => cluster.ids.every((id) => cluster.txIds(id).length === 12), 60, 'blocks everywhere');
  return cluster;
}

function newestOf(cluster: TestCluster, id: number): Block {
  const chain = cluster.chain(id);
  return decodeBlock(chain.block(chain.height() - 1));
}

/** A catch-up hook whose newestBlock answers with `newest()` and counts the questions. */
function probing(newest: () => Block | undefined, asked: { count: number }): SnapshotCatchUp {
  return {
    pullBlocks: () => Promise.reject(new Error('no pull expected in this test')),
    newestBlock: async () => {
      asked.count++;
      return newest();
    },
  };
}

describe('eviction suspicion', () => {
  it('asks only after the suspicion time without a leader, then once per period; a known leader resets it', async () => {
    const source = await clusterWithBlocks(3);
    let asked = 0;
    const probe: NewestBlockSource = {
      newestBlock: async () => {
        asked++;
        return newestOf(source, 1);
      },
    };
    const checkDone = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const suspector = new EvictionSuspector({ selfId: 3, evictionSuspicionMs: 1000, source: probe, logger, onEvicted: () => expect.fail('node 3 is a consenter') });
    suspector.onTick(0, false);
    suspector.onTick(999, false);
    expect(asked).toBe(0);
    suspector.onTick(1000, false);
    await checkDone();
    expect(asked).toBe(1);
    suspector.onTick(1500, false);
    suspector.onTick(1999, false);
    expect(asked).toBe(1);
    suspector.onTick(2100, true); // a leader: the count starts over
    suspector.onTick(2200, false);
    suspector.onTick(3100, false);
    expect(asked).toBe(1);
    suspector.onTick(3200, false);
    expect(asked).toBe(2);
    expect(suspector.evicted).toBe(false);
  });

  it('a cut-off node whose peers record a membership without it stops serving the channel, saying why', async () => {
    const elsewhere = await clusterWithBlocks(2); // its blocks record consenters 1, 2
    const asked = { count: 0 };
    const c = new TestCluster({
      options: { evictionSuspicionMs: SUSPICION_TICKS * TICK_MS },
      catchUp: (id) => (id === 3 ? probing(() => newestOf(elsewhere, 1), asked) : undefined),
    });
    clusters.push(c);
    await c.start();
    await c.waitForLeader();
    c.network.isolate(3);
    await c.tickUntil(() => asked.count > 0, 3 * SUSPICION_TICKS, 'node 3 asks the others');
    await c.tick(2);
    const refused = await c.chain(3).submit(c.envelope().bytes);
    expect(refused.status).toBe('SERVICE_UNAVAILABLE');
    expect(refused.info).toMatch(/halted/);
    // The check ran once the leader had been gone for the suspicion time, not before.
    expect(asked.count).toBe(1);
    c.network.heal();
    const leader = c.leaderId();
    expect([1, 2]).toContain(leader);
    expect((await c.chain(leader).submit(c.envelope().bytes)).status).toBe('SUCCESS');
  });

  it('a cut-off node that is still a consenter keeps waiting and rejoins when the network heals', async () => {
    const asked = { count: 0 };
    let c: TestCluster;
    c = new TestCluster({
      options: { evictionSuspicionMs: SUSPICION_TICKS * TICK_MS },
      catchUp: (id) => (id === 3 ? probing(() => newestOf(c, 1), asked) : undefined),
    });
    clusters.push(c);
    await c.start();
    await c.waitForLeader();
    c.network.isolate(3);
    await c.tickUntil(() => asked.count >= 2, 4 * SUSPICION_TICKS, 'node 3 asks twice');
    c.network.heal();
    await c.tickUntil(() => c.chain(3).status().leaderId !== 0, 60, 'node 3 knows a leader again');
    expect((await c.chain(3).submit(c.envelope().bytes)).status).toBe('SUCCESS');
    await c.tickUntil(() => c.txIds(3).length === 1 && c.txIds(1).length === 1, 60, 'the envelope ordered');
  });

  it('after a real config removal of a node cut off from the others, the blocks they write tell it it was evicted', async () => {
    const cc = new ConfigCluster(3);
    cleanups.push(() => cc.close());
    await cc.start([1, 2, 3]);
    await cc.waitForLeader();
    const gone = [1, 2, 3].find((id) => id !== cc.leaderId())!;
    cc.network.isolate(gone);
    const leader = cc.leaderId();
    const sequence = cc.currentConfig(leader).values.sequence + 1;
    const update = cc.configUpdate(leader, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== gone - 1) }));
    expect((await cc.chain(leader).submit(update)).status).toBe('SUCCESS');
    const rest = [1, 2, 3].filter((id) => id !== gone);
    await cc.tickUntil(() => rest.every((id) => cc.currentConfig(id).values.sequence === sequence), 80, 'the removal committed on the others');
    const before = cc.chain(leader).height();
    expect((await cc.chain(leader).submit(cc.envelope().bytes)).status).toBe('SUCCESS');
    await cc.tickUntil(() => cc.chain(leader).height() > before, 40, 'a block after the removal');
    const evicted: string[] = [];
    const probe: NewestBlockSource = { newestBlock: async () => decodeBlock(cc.chain(leader).block(cc.chain(leader).height() - 1)) };
    const suspector = new EvictionSuspector({ selfId: gone, evictionSuspicionMs: 1000, source: probe, logger, onEvicted: (reason) => evicted.push(reason) });
    const verdict = await suspector.check();
    expect(verdict).toMatchObject({ kind: 'evicted', consenters: rest });
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatch(new RegExp(`this node \\(${gone}\\) is no longer a consenter`));
    // The same question from a remaining node: still a member.
    const stays = new EvictionSuspector({ selfId: rest[0]!, evictionSuspicionMs: 1000, source: probe, logger, onEvicted: () => expect.fail('not evicted') });
    expect((await stays.check()).kind).toBe('member');
  });
});
