// A chain started with the voters of a config block its ledger does not hold
// yet, as a re-onboarded node starts (src/node/reonboarding.ts): a consenter
// removed and added back under a new Raft id (4) while cut off keeps its
// blocks, drops its Raft state and starts as 4 with the re-adding block's
// consenters, its ledger ending before the removal. It hears the leader,
// catches up through the removing and re-adding config blocks (Raft's
// snapshot and the catch-up), then serves: envelopes and a config update
// sent to it are ordered. The config update is the check that its config
// management is on: block 0's founding-ids check, made against consenters
// of a later block (same number, one id changed), turned it off.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWalEnvironment } from '../../src/storage/index.js';
import { pino } from 'pino';
import { CHANNEL, ConfigCluster } from './configCluster.js';

let cc: ConfigCluster;
let gone: number;
let stayed: number;

beforeAll(async () => {
  cc = new ConfigCluster(3);
  await cc.start([1, 2, 3]);
  await cc.waitForLeader();
}, 60_000);

afterAll(async () => {
  await cc.close();
});

async function order(count: number, via = cc.leaderId()): Promise<void> {
  const results = await Promise.all(Array.from({ length: count }, () => cc.chain(via).submit(cc.envelope().bytes)));
  for (const r of results) expect(r.status, r.info).toBe('SUCCESS');
}

async function reconfigure(change: Parameters<ConfigCluster['configUpdate']>[1], via = cc.leaderId()): Promise<number> {
  const sequence = cc.currentConfig(stayed).values.sequence + 1;
  const result = await cc.chain(via).submit(cc.configUpdate(via, change));
  expect(result.status, result.info).toBe('SUCCESS');
  await cc.tickUntil(() => cc.currentConfig(stayed).values.sequence === sequence, 80, 'the config update committed');
  return cc.chain(stayed).height() - 1;
}

describe('a chain started with the voters of a config block its ledger has not reached', () => {
  it('hears the leader, catches up through the config blocks it lacks, and serves envelopes and config updates', async () => {
    gone = [1, 2, 3].find((id) => id !== cc.leaderId())!;
    stayed = [1, 2, 3].find((id) => id !== gone)!;
    await order(5);
    await cc.tickUntil(() => cc.chain(gone).height() === cc.chain(stayed).height(), 40, 'the follower has every block');
    const kept = cc.chain(gone).height();
    cc.network.isolate(gone);
    const goneConsenter = cc.genesisValues.consenters[gone - 1]!;
    await reconfigure((v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== gone - 1) }));
    await order(5);
    const readding = await reconfigure((v) => ({ ...v, consenters: [...v.consenters, goneConsenter] }));
    await order(5);
    await cc.tickUntil(() => cc.leaderId() !== 0, 80, 'a serving leader');
    const voters = [1, 2, 3].map((id) => (id === gone ? 4 : id));

    // Re-onboarding's storage step on the stopped node: its Raft state goes, its blocks stay.
    const dir = cc.nodes.get(gone)!.dir;
    await cc.stop(gone);
    const env = openWalEnvironment({ dir, engine: 'native', logger: pino({ level: 'silent' }) });
    await env.dropChannel(CHANNEL, { keepLedger: true });
    await env.close();

    await cc.startNode(4, voters, { storageOf: gone, options: { consentersBlock: readding } });
    expect(cc.chain(4).height()).toBe(kept);
    expect(kept).toBeLessThanOrEqual(readding);
    await cc.tickUntil(
      () => cc.chain(4).status().leaderId === cc.leaderId() && cc.chain(4).height() === cc.chain(stayed).height(),
      120,
      'consenter 4 follows the leader and has every block',
    );
    expect(cc.headers(4)).toEqual(cc.headers(stayed));
    expect(cc.currentConfig(4).values.sequence).toBe(cc.currentConfig(stayed).values.sequence);

    // It serves: an envelope and a config update sent to it are ordered everywhere.
    await order(3, 4);
    const updated = await reconfigure((v) => ({ ...v, batchTimeoutMs: v.batchTimeoutMs + 100 }), 4);
    await cc.tickUntil(() => cc.chain(4).height() === updated + 1, 40, 'consenter 4 has the config block it sent');
    expect(cc.headers(4)).toEqual(cc.headers(stayed));
  }, 120_000);
});
