// The node side of re-onboarding, without processes: which Raft id a stored
// channel runs as (what its latest config block gives this node's
// certificate), and the plan a re-added node starts the channel with again.
// Config blocks are real ones: a consenter removed and added back through
// config updates in an in-process cluster (test/chain/configCluster.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock, isConfigBlock } from '../../src/block/index.js';
import { recordedPlan, storedRaftId, withNodeSettingsOf } from '../../src/node/reonboarding.js';
import type { ChannelPlan } from '../../src/node/channelPlan.js';
import type { BlockLedger } from '../../src/storage/index.js';
import type { ConfigCluster } from '../chain/configCluster.js';
import { certOf as certOfConsenter, readdedVerdict, readdedWhileCutOff, type ReaddedWhileCutOff } from '../chain/readdedWhileCutOff.js';

let cc: ConfigCluster;
/** The node removed and added back while cut off, and one that stayed. */
let gone: number;
let stayed: number;
let readded: ReaddedWhileCutOff;

beforeAll(async () => {
  readded = await readdedWhileCutOff();
  ({ cc, gone, stayed } = readded);
}, 60_000);

afterAll(async () => {
  await cc.close();
});

/** Node `id`'s ledger, first `height` blocks of it, as a BlockLedger reads them. */
function ledgerOf(id: number, height = cc.chain(id).height()): BlockLedger {
  const chain = cc.chain(id);
  let lastConfig = -1;
  for (let n = 0; n < height; n++) if (isConfigBlock(decodeBlock(chain.block(n)))) lastConfig = n;
  return { height, lastConfig, block: (n: number) => ({ bytes: chain.block(n) }) } as unknown as BlockLedger;
}

const certOf = (id: number): string => certOfConsenter(cc, id);

describe('the Raft id of a stored channel', () => {
  it('is the id its latest config gives this node: the new one after a re-adding config block, the node id before', () => {
    expect(storedRaftId(ledgerOf(stayed), { nodeId: gone, tlsCertPem: certOf(gone) })).toBe(4);
    expect(storedRaftId(ledgerOf(stayed), { nodeId: stayed, tlsCertPem: certOf(stayed) })).toBe(stayed);
    // Only block 0 (or a removal without the re-add): the node's own id.
    expect(storedRaftId(ledgerOf(stayed, 1), { nodeId: gone, tlsCertPem: certOf(gone) })).toBe(gone);
    expect(storedRaftId(ledgerOf(gone), { nodeId: gone, tlsCertPem: certOf(gone) })).toBe(gone);
  });
});

describe('the plan of a re-onboarded channel', () => {
  it("runs the re-adding config block's consenters from block 0 of the kept ledger, keeping the node-side eviction suspicion", async () => {
    const verdict = await readdedVerdict(readded);
    expect(verdict.newId).toBe(4);
    const genesis = cc.chain(gone).block(0);
    const previous = { chain: { ...cc.options(gone, [1, 2, 3]), evictionSuspicionMs: 3000 }, consenters: [] } as unknown as ChannelPlan;
    const record = { raftId: verdict.newId, configBlock: encodeBlock(verdict.config) };
    const plan = withNodeSettingsOf(previous, recordedPlan(record, genesis, certOf(gone)));
    expect([...plan.chain.consenters].sort()).toEqual([1, 2, 3].map((id) => (id === gone ? 4 : id)).sort());
    expect(plan.consenters.find((c) => c.id === 4)?.tlsCertPem).toBe(certOf(gone));
    expect(Buffer.from(plan.chain.genesisBlock!).equals(Buffer.from(genesis))).toBe(true);
    expect(plan.chain.evictionSuspicionMs).toBe(3000);
    expect(plan.chain.consentersBlock).toBe(verdict.configBlock);
  });
});
