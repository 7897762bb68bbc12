// A re-onboarded channel whose node crashes while its ledger still ends
// before the re-adding config block: the Raft id recorded in the channel's
// storage (both engines) wins over the one the ledger's latest config gives,
// so the restart runs the channel under the new id with the re-adding
// block's consenters (not the old id, whose re-onboarding would drop the
// votes cast under the new one); a repeated verdict for the recorded id keeps
// the Raft state, a verdict for another id drops it; a crash between the drop
// and the record re-onboards again from nothing. Config blocks are real ones:
// a consenter removed and added back through config updates in an in-process
// cluster (test/chain/configCluster.ts).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlock, readBlockSignatures } from '../../src/block/index.js';
import type { ReaddedVerdict } from '../../src/chain/liveness/evictionSuspicion.js';
import { createCryptoProvider } from '../../src/crypto/index.js';
import { joinPlanOfBlock } from '../../src/node/joinPlan.js';
import { channelRaftId, storedRaftId, takeRaftId } from '../../src/node/reonboarding.js';
import { channelStart } from '../../src/node/storedPlan.js';
import { ledgerBlockFromFabric, openWalEnvironment, type EngineName, type WalEnvironment } from '../../src/storage/index.js';
import type { ConfigCluster } from '../chain/configCluster.js';
import { certOf, readdedVerdict, readdedWhileCutOff } from '../chain/readdedWhileCutOff.js';

const logger = pino({ level: 'silent' });
const sha256 = createCryptoProvider('native').hasher('sha256');
let cc: ConfigCluster;
let gone: number;
let stayed: number;
let verdict: ReaddedVerdict;
/** The config block that removed `gone`: the kept ledger ends right before it (the node was down from then on). */
let removal: number;
const dirs: string[] = [];

beforeAll(async () => {
  const readded = await readdedWhileCutOff();
  ({ cc, gone, stayed, removal } = readded);
  verdict = await readdedVerdict(readded);
}, 60_000);

afterAll(async () => {
  await cc.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const self = (): { nodeId: number; tlsCertPem: string } => ({ nodeId: gone, tlsCertPem: certOf(cc, gone) });

const CHANNEL = (): string => cc.chain(stayed).channelId;

/** A node's storage whose channel holds the blocks before the removal, with Raft state of its old id. */
async function keptNode(engine: EngineName): Promise<{ dir: string; env: WalEnvironment }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reonboard-restart-'));
  dirs.push(dir);
  const env = openWalEnvironment({ dir, engine, logger });
  const { raft, ledger } = env.channel(CHANNEL());
  for (let n = 0; n < removal; n++) {
    const bytes = new Uint8Array(cc.chain(stayed).block(n));
    const raftIndex = n === 0 ? 0 : readBlockSignatures(decodeBlock(bytes)).etcdraft!.raftIndex;
    await ledger.append(ledgerBlockFromFabric(bytes, sha256, raftIndex));
  }
  await raft.persistReady({ hardState: { term: 2, vote: gone, commit: 0 } });
  return { dir, env };
}

function reopen(dir: string, engine: EngineName): WalEnvironment {
  return openWalEnvironment({ dir, engine, logger });
}

/** The channel file's plan the node was configured with: block 0's consenters, the node's own id. */
const filePlan = () => joinPlanOfBlock(cc.chain(stayed).block(0), self()).plan;

for (const engine of ['native', 'native-free'] as const) {
  describe(`re-onboarding's Raft id across a crash (${engine})`, () => {
    it('a restart runs the recorded new id with the re-adding block, keeps the votes cast under it for a repeated verdict, drops them for another id', async () => {
      const { dir, env } = await keptNode(engine);
      expect(await takeRaftId(env, CHANNEL(), verdict)).toEqual({ dropped: true, kept: removal });
      // The chain runs as the new id and votes before its ledger reaches the re-adding block; then the node crashes.
      await env.channel(CHANNEL()).raft.persistReady({ hardState: { term: 7, vote: verdict.newId, commit: 0 } });
      await env.close();

      const restarted = reopen(dir, engine);
      try {
        const storage = restarted.channel(CHANNEL());
        // The ledger alone still says the old id: its latest config block is block 0.
        expect(storage.ledger.height).toBe(removal);
        expect(storedRaftId(storage.ledger, self())).toBe(gone);
        expect(channelRaftId(storage, self())).toBe(verdict.newId);
        const start = channelStart(filePlan(), storage, self(), logger);
        expect(start.selfId).toBe(verdict.newId);
        expect(start.ahead?.header.number).toBe(verdict.configBlock);
        expect([...start.plan.chain.consenters].sort()).toEqual([...verdict.consenters].sort());
        expect(start.plan.chain.consentersBlock).toBe(verdict.configBlock);
        expect(Buffer.from(start.plan.chain.genesisBlock!).equals(Buffer.from(cc.chain(stayed).block(0)))).toBe(true);
        expect(start.plan.consenters.find((c) => c.id === verdict.newId)?.tlsCertPem).toBe(certOf(cc, gone));

        // The same verdict again (eviction suspicion under a stale id): nothing dropped, the vote stays.
        expect(await takeRaftId(restarted, CHANNEL(), verdict)).toEqual({ dropped: false, kept: removal });
        expect(restarted.channel(CHANNEL()).raft.initialState().hardState).toMatchObject({ term: 7, vote: verdict.newId });
        // Re-added once more under another id: that one starts from a dropped Raft state.
        expect(await takeRaftId(restarted, CHANNEL(), { ...verdict, newId: verdict.newId + 1 })).toEqual({ dropped: true, kept: removal });
        expect(restarted.channel(CHANNEL()).raft.initialState().hardState).toMatchObject({ term: 0, vote: 0 });
        expect(channelRaftId(restarted.channel(CHANNEL()), self())).toBe(verdict.newId + 1);
      } finally {
        await restarted.close();
      }
    });

    it('a crash between the drop and the record restarts as the old id from an empty Raft state, and re-onboards again', async () => {
      const { dir, env } = await keptNode(engine);
      await env.releaseChannel(CHANNEL());
      await env.dropChannel(CHANNEL(), { keepLedger: true });
      await env.close();

      const restarted = reopen(dir, engine);
      try {
        const storage = restarted.channel(CHANNEL());
        expect(storage.raft.raftId).toBeUndefined();
        expect(storage.raft.initialState().hardState).toMatchObject({ term: 0, vote: 0 });
        const start = channelStart(filePlan(), storage, self(), logger);
        expect(start).toMatchObject({ selfId: gone, ahead: undefined });
        expect(await takeRaftId(restarted, CHANNEL(), verdict)).toEqual({ dropped: true, kept: removal });
        expect(channelStart(filePlan(), restarted.channel(CHANNEL()), self(), logger).selfId).toBe(verdict.newId);
      } finally {
        await restarted.close();
      }
    });
  });
}
