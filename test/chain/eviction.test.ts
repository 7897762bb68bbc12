// Eviction suspicion: a node without a Raft leader for evictionSuspicionMs
// reads the channel's latest config block from the other orderers (their
// newest block, then the block its LAST_CONFIG names) and looks itself up by
// its TLS certificate: not listed -> it stops serving the channel; listed under
// another Raft id (removed and added again while away) -> re-added; listed under
// its own id -> it keeps waiting and rejoins once it reaches a leader.

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, isConfigBlock, type Block } from '../../src/block/index.js';
import type { SnapshotCatchUp } from '../../src/catchup/index.js';
import { standingIn } from '../../src/chain/liveness/consenterStanding.js';
import { EvictionSuspector, type EvictedVerdict, type ReaddedVerdict } from '../../src/chain/liveness/evictionSuspicion.js';
import { fetchLatestConfigBlock, type ConfigBlockSource } from '../../src/chain/liveness/latestConfigBlock.js';
import { ConfigCluster } from './configCluster.js';
import { TestCluster, TICK_MS } from './harness.js';

const SUSPICION_TICKS = 30;
const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A source answering from node `id` of `cc` as the block puller would (blocks decoded from its ledger). */
function sourceOf(cc: ConfigCluster, id: () => number, asked = { count: 0 }): ConfigBlockSource {
  return {
    newestBlock: async () => {
      asked.count++;
      const chain = cc.chain(id());
      return decodeBlock(chain.block(chain.height() - 1));
    },
    blockAt: async (n) => (n < cc.chain(id()).height() ? decodeBlock(cc.chain(id()).block(n)) : undefined),
  };
}

async function configCluster(): Promise<ConfigCluster> {
  const cc = new ConfigCluster(3);
  cleanups.push(() => cc.close());
  await cc.start([1, 2, 3]);
  await cc.waitForLeader();
  return cc;
}

/** Submits a config update on the leader and waits until every node but `except` applied it. */
async function reconfigure(cc: ConfigCluster, except: number, change: Parameters<ConfigCluster['configUpdate']>[1]): Promise<void> {
  const leader = cc.leaderId();
  const sequence = cc.currentConfig(leader).values.sequence + 1;
  const result = await cc.chain(leader).submit(cc.configUpdate(leader, change));
  expect(result.status, result.info).toBe('SUCCESS');
  const rest = [1, 2, 3].filter((id) => id !== except);
  await cc.tickUntil(() => rest.every((id) => cc.currentConfig(id).values.sequence === sequence), 80, 'the config update committed on the others');
}

/** Orders one envelope so the newest block is not the config block (its LAST_CONFIG must be followed). */
async function oneMoreBlock(cc: ConfigCluster): Promise<void> {
  const leader = await cc.waitForLeader();
  const before = cc.chain(leader).height();
  expect((await cc.chain(leader).submit(cc.envelope().bytes)).status).toBe('SUCCESS');
  await cc.tickUntil(() => cc.chain(leader).height() > before, 40, 'a block after the config block');
}

/** A cluster where node `gone` was cut off, removed by config, and a block ordered after that. */
async function removedWhileAway(): Promise<{ cc: ConfigCluster; gone: number; rest: number[] }> {
  const cc = await configCluster();
  const gone = [1, 2, 3].find((id) => id !== cc.leaderId())!;
  cc.network.isolate(gone);
  await reconfigure(cc, gone, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== gone - 1) }));
  await oneMoreBlock(cc);
  return { cc, gone, rest: [1, 2, 3].filter((id) => id !== gone) };
}

function suspectorFor(
  source: ConfigBlockSource,
  selfId: number,
  selfTlsCertPem: string | undefined,
  seen: { evicted: string[]; readded: ReaddedVerdict[] },
): EvictionSuspector {
  return new EvictionSuspector({
    selfId,
    ...(selfTlsCertPem !== undefined && { selfTlsCertPem }),
    evictionSuspicionMs: 1000,
    source,
    logger,
    onEvicted: (reason: string, _verdict: EvictedVerdict) => seen.evicted.push(reason),
    onReadded: (_reason: string, verdict: ReaddedVerdict) => seen.readded.push(verdict),
  });
}

describe('standing in a config block', () => {
  it('names the node by its TLS certificate and the Raft id the block gives it', async () => {
    const cc = new ConfigCluster(3);
    cleanups.push(() => cc.close());
    const genesis = decodeBlock(cc.genesis);
    const certOf = (n: number): string => cc.genesisValues.consenters[n - 1]!.clientTlsCertPem;
    expect(standingIn(genesis, { id: 2, tlsCertPem: certOf(2) })).toEqual({ kind: 'member', consenters: [1, 2, 3] });
    // The certificate of consenter 2 on a node running as 3: the config knows it as 2.
    expect(standingIn(genesis, { id: 3, tlsCertPem: certOf(2) })).toEqual({ kind: 'readded', newId: 2, consenters: [1, 2, 3] });
    const stranger = cc.channel.consenter(9).clientTlsCertPem;
    expect(standingIn(genesis, { id: 1, tlsCertPem: stranger })).toEqual({ kind: 'evicted', consenters: [1, 2, 3] });
    // Without a certificate, the Raft id alone decides.
    expect(standingIn(genesis, { id: 3 }).kind).toBe('member');
    expect(standingIn(genesis, { id: 7 }).kind).toBe('evicted');
  });
});

describe('the latest config block from the other orderers', () => {
  it("follows the newest block's LAST_CONFIG and refuses a source that answers with another or a non-config block", async () => {
    const { cc, rest } = await removedWhileAway();
    const good = sourceOf(cc, () => rest[0]!);
    const latest = await fetchLatestConfigBlock(good);
    expect(latest.kind).toBe('found');
    if (latest.kind !== 'found') return;
    const newest = (await good.newestBlock())!.header.number;
    expect(latest.newest).toBe(newest);
    expect(latest.config.header.number).toBe(lastConfigBlockOf(cc, rest[0]!));
    expect(latest.config.header.number).toBeLessThan(newest);

    const wrongBlock: ConfigBlockSource = { ...good, blockAt: async () => (await good.newestBlock())! };
    expect(await fetchLatestConfigBlock(wrongBlock)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/asked for config block \d+, got block/) });
    const notConfig: ConfigBlockSource = {
      newestBlock: good.newestBlock,
      blockAt: async () => withNumber(await good.newestBlock(), latest.config.header.number),
    };
    expect(await fetchLatestConfigBlock(notConfig)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/is not a config block/) });
    const silent: ConfigBlockSource = { newestBlock: async () => undefined, blockAt: good.blockAt };
    expect(await fetchLatestConfigBlock(silent)).toMatchObject({ kind: 'unknown', reason: 'no other orderer served its newest block' });
    const noConfig: ConfigBlockSource = { newestBlock: good.newestBlock, blockAt: async () => undefined };
    expect(await fetchLatestConfigBlock(noConfig)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/no other orderer served config block/) });
  });
});

/** Number of node `id`'s last config block, read from its ledger. */
function lastConfigBlockOf(cc: ConfigCluster, id: number): number {
  const chain = cc.chain(id);
  for (let n = chain.height() - 1; n >= 0; n--) if (isConfigBlock(decodeBlock(chain.block(n)))) return n;
  throw new Error(`node ${id} has no config block`);
}

/** `block` relabelled as block `number` (a lying source). */
function withNumber(block: Block | undefined, number: number): Block {
  return { ...block!, header: { ...block!.header, number } };
}

describe('eviction suspicion', () => {
  it('asks only after the suspicion time without a leader, then once per period; a known leader resets it', async () => {
    const cc = await configCluster();
    const asked = { count: 0 };
    const seen = { evicted: [] as string[], readded: [] as ReaddedVerdict[] };
    const suspector = suspectorFor(
      sourceOf(cc, () => 1, asked),
      3,
      cc.genesisValues.consenters[2]!.clientTlsCertPem,
      seen,
    );
    const checkDone = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    suspector.onTick(0, false);
    suspector.onTick(999, false);
    expect(asked.count).toBe(0);
    suspector.onTick(1000, false);
    await checkDone();
    expect(asked.count).toBe(1);
    suspector.onTick(1500, false);
    suspector.onTick(1999, false);
    expect(asked.count).toBe(1);
    suspector.onTick(2100, true); // a leader: the count starts over
    suspector.onTick(2200, false);
    suspector.onTick(3100, false);
    expect(asked.count).toBe(1);
    suspector.onTick(3200, false);
    expect(asked.count).toBe(2);
    expect(suspector.evicted).toBe(false);
    expect(seen).toEqual({ evicted: [], readded: [] });
  });

  it('asks after firstCheckAfterMs without a leader while none was known since start, then once per suspicion period', async () => {
    const cc = await configCluster();
    const asked = { count: 0 };
    const checkDone = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const suspector = (): EvictionSuspector =>
      new EvictionSuspector({
        selfId: 3,
        selfTlsCertPem: cc.genesisValues.consenters[2]!.clientTlsCertPem,
        evictionSuspicionMs: 1000,
        firstCheckAfterMs: 200,
        source: sourceOf(cc, () => 1, asked),
        logger,
        onEvicted: () => undefined,
        onReadded: () => undefined,
      });
    const restarted = suspector();
    restarted.onTick(0, false);
    restarted.onTick(199, false);
    expect(asked.count).toBe(0);
    restarted.onTick(200, false);
    await checkDone();
    expect(asked.count).toBe(1);
    restarted.onTick(1100, false);
    expect(asked.count).toBe(1); // past the first check: the suspicion period
    restarted.onTick(1200, false);
    expect(asked.count).toBe(2);

    // A leader known since start: a later leaderless stretch waits the whole period.
    asked.count = 0;
    const running = suspector();
    running.onTick(0, true);
    running.onTick(100, false);
    running.onTick(900, false);
    expect(asked.count).toBe(0);
    running.onTick(1100, false);
    expect(asked.count).toBe(1);
  });

  it("a peer's refusal brings a check forward to the next tick without a leader, once per suspicion period, and moves no other check", async () => {
    const lines: string[] = [];
    const checkDone = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const suspector = new EvictionSuspector({
      selfId: 3,
      evictionSuspicionMs: 1000,
      firstCheckAfterMs: 200,
      // No orderer answers: every check is 'unknown', which decides nothing.
      source: { newestBlock: async () => undefined, blockAt: async () => undefined },
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
      onEvicted: () => undefined,
      onReadded: () => undefined,
    });
    suspector.onTick(0, false);
    suspector.peerRefused(1, 'it claims to be consenter 3, which is not a configured consenter');
    suspector.onTick(10, false);
    await checkDone();
    expect(suspector.checks).toBe(1);
    expect(lines.join('')).toContain("consenter 1 refused this node's stream: it claims to be consenter 3, which is not a configured consenter");
    // The first check still comes after firstCheckAfterMs.
    suspector.onTick(199, false);
    expect(suspector.checks).toBe(1);
    suspector.onTick(200, false);
    await checkDone();
    expect(suspector.checks).toBe(2);
    // A second refusal within the suspicion period of the first one's check brings nothing forward.
    suspector.peerRefused(2, 'again');
    suspector.onTick(300, false);
    await checkDone();
    expect(suspector.checks).toBe(2);
    // A refusal heard while a leader is known brings nothing forward either.
    suspector.onTick(1000, true);
    suspector.peerRefused(2, 'while led');
    suspector.onTick(1020, true);
    suspector.onTick(1030, false);
    await checkDone();
    expect(suspector.checks).toBe(2);
    // Leaderless again, a period after the first refusal's check: the next refusal brings a check forward.
    suspector.peerRefused(2, 'once more');
    suspector.onTick(1040, false);
    await checkDone();
    expect(suspector.checks).toBe(3);
  });

  it("a chain whose ledger holds only its first block checks at its first tick without a leader, once, and keeps the first check's schedule", async () => {
    const lines: string[] = [];
    const checkDone = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const suspector = (startsEmpty: boolean): EvictionSuspector =>
      new EvictionSuspector({
        selfId: 3,
        evictionSuspicionMs: 1000,
        firstCheckAfterMs: 200,
        startsEmpty: () => startsEmpty,
        // No orderer answers: every check is 'unknown', which decides nothing.
        source: { newestBlock: async () => undefined, blockAt: async () => undefined },
        logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
        onEvicted: () => undefined,
        onReadded: () => undefined,
      });
    const wiped = suspector(true);
    wiped.onTick(0, false);
    await checkDone();
    expect(wiped.checks).toBe(1);
    expect(lines.join('')).toContain("this node's ledger holds only the block its chain started from");
    wiped.onTick(100, false);
    await checkDone();
    expect(wiped.checks).toBe(1); // once
    wiped.onTick(200, false);
    await checkDone();
    expect(wiped.checks).toBe(2); // the first check after firstCheckAfterMs still comes

    const withBlocks = suspector(false);
    withBlocks.onTick(0, false);
    withBlocks.onTick(199, false);
    await checkDone();
    expect(withBlocks.checks).toBe(0);

    // A leader heard before the first leaderless tick: no check at once either.
    const led = suspector(true);
    led.onTick(0, true);
    led.onTick(10, false);
    await checkDone();
    expect(led.checks).toBe(0);
  });

  it('a config block older than its own latest config block decides nothing (the orderers that answered are behind)', async () => {
    const { cc, gone, rest } = await removedWhileAway();
    const configBlock = lastConfigBlockOf(cc, rest[0]!);
    const seen = { evicted: [] as string[], readded: [] as ReaddedVerdict[] };
    const ahead = new EvictionSuspector({
      selfId: gone,
      selfTlsCertPem: cc.genesisValues.consenters[gone - 1]!.clientTlsCertPem,
      evictionSuspicionMs: 1000,
      localConfigBlock: () => configBlock + 1,
      source: sourceOf(cc, () => rest[0]!),
      logger,
      onEvicted: (reason) => seen.evicted.push(reason),
      onReadded: (_reason, verdict) => seen.readded.push(verdict),
    });
    expect(await ahead.check()).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining(`latest config block ${configBlock} `) as unknown,
    });
    expect(ahead.evicted).toBe(false);
    expect(seen).toEqual({ evicted: [], readded: [] });
  });

  it('a node removed by config while away is evicted, naming the config block; a remaining node is a member', async () => {
    const { cc, gone, rest } = await removedWhileAway();
    const source = sourceOf(cc, () => rest[0]!);
    const configBlock = lastConfigBlockOf(cc, rest[0]!);
    const seen = { evicted: [] as string[], readded: [] as ReaddedVerdict[] };
    const suspector = suspectorFor(source, gone, cc.genesisValues.consenters[gone - 1]!.clientTlsCertPem, seen);
    expect(await suspector.check()).toMatchObject({ kind: 'evicted', configBlock, consenters: rest });
    expect(seen.evicted).toEqual([
      expect.stringMatching(new RegExp(`this node \\(${gone}\\) is no longer a consenter: config block ${configBlock} .*lists consenters ${rest.join(', ')}`)),
    ]);
    expect(suspector.evicted).toBe(true);
    // Decided: no further check acts again.
    await suspector.check();
    expect(seen.evicted).toHaveLength(1);
    const staying = suspectorFor(source, rest[0]!, cc.genesisValues.consenters[rest[0]! - 1]!.clientTlsCertPem, { evicted: [], readded: [] });
    expect((await staying.check()).kind).toBe('member');
  });

  it('a node removed and added again (same certificate) while away is re-added under the next consenter id', async () => {
    const { cc, gone, rest } = await removedWhileAway();
    const goneConsenter = cc.genesisValues.consenters[gone - 1]!;
    await reconfigure(cc, gone, (v) => ({ ...v, consenters: [...v.consenters, goneConsenter] }));
    await oneMoreBlock(cc);
    const seen = { evicted: [] as string[], readded: [] as ReaddedVerdict[] };
    const suspector = suspectorFor(
      sourceOf(cc, () => rest[0]!),
      gone,
      goneConsenter.clientTlsCertPem,
      seen,
    );
    const verdict = await suspector.check();
    expect(verdict).toMatchObject({ kind: 'readded', newId: 4, consenters: [...rest, 4] });
    expect(seen.evicted).toEqual([]);
    expect(seen.readded).toHaveLength(1);
    expect(seen.readded[0]!.config.header.number).toBe(lastConfigBlockOf(cc, rest[0]!));
    // Looked up by Raft id alone (no certificate), the same node reads as evicted.
    const byId = suspectorFor(
      sourceOf(cc, () => rest[0]!),
      gone,
      undefined,
      { evicted: [], readded: [] },
    );
    expect((await byId.check()).kind).toBe('evicted');
  });

  it('a cut-off chain whose peers removed it stops serving the channel; the others keep ordering', async () => {
    const { cc, gone } = await removedWhileAway();
    // The chains of a second cluster stand in for the node: its probe reads the first cluster's blocks.
    const asked = { count: 0 };
    const probe = sourceOf(cc, () => [1, 2, 3].find((id) => id !== gone)!, asked);
    const c = new TestCluster({
      options: { evictionSuspicionMs: SUSPICION_TICKS * TICK_MS },
      catchUp: (id): SnapshotCatchUp | undefined => (id === gone ? { pullBlocks: () => Promise.reject(new Error('no pull expected')), ...probe } : undefined),
    });
    cleanups.push(() => c.close());
    await c.start();
    await c.waitForLeader();
    c.network.isolate(gone);
    await c.tickUntil(() => asked.count > 0, 3 * SUSPICION_TICKS, `node ${gone} asks the others`);
    await c.tick(2);
    const refused = await c.chain(gone).submit(c.envelope().bytes);
    expect(refused.status).toBe('SERVICE_UNAVAILABLE');
    expect(refused.info).toMatch(new RegExp(`is halted: this node \\(${gone}\\) is no longer a consenter: config block \\d+`));
    expect(asked.count).toBe(1);
    c.network.heal();
    const leader = c.leaderId();
    expect(leader).not.toBe(gone);
    expect((await c.chain(leader).submit(c.envelope().bytes)).status).toBe('SUCCESS');
  });

  it('a cut-off node that is still a consenter keeps waiting and rejoins when the network heals', async () => {
    const cc = await configCluster();
    const asked = { count: 0 };
    const probe = sourceOf(cc, () => 1, asked);
    const c = new TestCluster({
      options: { evictionSuspicionMs: SUSPICION_TICKS * TICK_MS },
      catchUp: (id): SnapshotCatchUp | undefined => (id === 3 ? { pullBlocks: () => Promise.reject(new Error('no pull expected')), ...probe } : undefined),
    });
    cleanups.push(() => c.close());
    await c.start();
    await c.waitForLeader();
    c.network.isolate(3);
    await c.tickUntil(() => asked.count >= 2, 4 * SUSPICION_TICKS, 'node 3 asks twice');
    c.network.heal();
    await c.tickUntil(() => c.chain(3).status().leaderId !== 0, 60, 'node 3 knows a leader again');
    expect((await c.chain(3).submit(c.envelope().bytes)).status).toBe('SUCCESS');
    await c.tickUntil(() => c.txIds(3).length === 1 && c.txIds(1).length === 1, 60, 'the envelope ordered');
  });
});
