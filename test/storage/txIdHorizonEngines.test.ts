// The duplicate horizon through the storage front door, on both engines: the
// newest tx ids found, older ones not, hash collisions told apart, the same
// horizon after a restart, what it covers, and its option checked.

import { describe, expect, it } from 'vitest';
import { StorageOptionsError, TX_ID_HORIZON_DEFAULT, txIdHash, type LedgerBlock, type WalEnvironment } from '../../src/storage/index.js';
import { capturingLogger, chainBlock, engines, openEnv, tempDirsPerTest, type EnvOptions } from './helpers.js';

const freshDir = tempDirsPerTest();
const tx = (n: number, i: number): string => `ch-tx-${n}-${i}`;

async function appendBlocks(env: WalEnvironment, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) await env.channel('ch').ledger.append(chainBlock('ch', n));
}

for (const engine of engines) {
  describe(`duplicate horizon (${engine})`, () => {
    async function run(options: EnvOptions, body: (env: WalEnvironment, reopen: () => Promise<WalEnvironment>) => Promise<void>): Promise<void> {
      const dir = freshDir();
      let env = openEnv(engine, dir, options);
      try {
        await body(env, async () => {
          await env.close();
          env = openEnv(engine, dir, options);
          return env;
        });
      } finally {
        await env.close();
      }
    }

    it('finds the newest N tx ids of a channel and not those older than the horizon, across rotations', async () => {
      // Blocks of 2 tx ids, N = 10: the newest 5 blocks are always covered, at most 10.
      await run({ txIdHorizon: 10 }, async (env) => {
        await appendBlocks(env, 0, 3);
        const ledger = env.channel('ch').ledger;
        expect(ledger.txLocation(tx(0, 1))).toEqual({ blockNumber: 0, position: 1 });
        await appendBlocks(env, 3, 40);
        for (let n = 35; n < 40; n++) expect(ledger.txLocation(tx(n, 1)), `block ${n}`).toEqual({ blockNumber: n, position: 1 });
        for (let n = 0; n < 30; n++) expect(ledger.txLocation(tx(n, 0)), `block ${n}`).toBeUndefined();
        const coverage = env.txIdCoverage().get('ch')!;
        expect(coverage.oldestBlock).toBeGreaterThanOrEqual(30);
        expect(coverage.oldestBlock).toBeLessThanOrEqual(35);
        expect(coverage.txIds).toBe(2 * (40 - coverage.oldestBlock));
      });
    });

    it('tells hash collisions from hits across generations', async () => {
      await run({ txIdHorizon: 6, txIdHash: () => 3 }, async (env) => {
        await appendBlocks(env, 0, 20);
        const ledger = env.channel('ch').ledger;
        expect(ledger.txLocation(tx(19, 0))).toEqual({ blockNumber: 19, position: 0 });
        expect(ledger.txLocation(tx(17, 1))).toEqual({ blockNumber: 17, position: 1 });
        await appendBlocks(env, 20, 24);
        expect(ledger.txLocation(tx(21, 1))).toEqual({ blockNumber: 21, position: 1 });
        expect(ledger.txLocation(tx(23, 0))).toEqual({ blockNumber: 23, position: 0 });
        expect(ledger.txLocation(tx(10, 0))).toBeUndefined();
        expect(ledger.txLocation('ch-tx-never')).toBeUndefined();
      });
    });

    it("takes the hashes a block carries for its tx ids instead of hashing them, and the hash a lookup carries (txIdHash's only)", async () => {
      const blockWithHashes = (n: number, hashes: number[]): LedgerBlock => ({ ...chainBlock('ch', n), txIdHashes: Int32Array.from(hashes) });
      await run({}, async (env) => {
        const ledger = env.channel('ch').ledger;
        await ledger.append(chainBlock('ch', 0));
        expect(ledger.txLocation('ch-tx-never')).toBeUndefined(); // builds the index: later blocks join it as they commit
        await ledger.append(blockWithHashes(1, [txIdHash(tx(1, 0)), 12345]));
        expect(ledger.txLocation(tx(1, 0))).toEqual({ blockNumber: 1, position: 0 });
        expect(ledger.txLocation(tx(1, 1))).toBeUndefined(); // indexed under the hash it carried
        expect(ledger.txLocation(tx(1, 1), 12345)).toEqual({ blockNumber: 1, position: 1 });
      });
      // A horizon with another hash hashes every id itself: a carried hash is not its own.
      await run({ txIdHash: (id) => id.length }, async (env) => {
        const ledger = env.channel('ch').ledger;
        await ledger.append(chainBlock('ch', 0));
        expect(ledger.txLocation('ch-tx-never')).toBeUndefined();
        await ledger.append(blockWithHashes(1, [1, 2]));
        expect(ledger.txLocation(tx(1, 1), 2)).toEqual({ blockNumber: 1, position: 1 });
        expect(ledger.txLocation(tx(1, 0), 1)).toEqual({ blockNumber: 1, position: 0 });
      });
    });

    it('says how many of the newest durable tx ids it covers at least', async () => {
      await run({ txIdHorizon: 12 }, async (env) => expect(env.channel('ch').ledger.txIdsCovered).toBe(12));
      await run({}, async (env) => expect(env.channel('ch').ledger.txIdsCovered).toBe(TX_ID_HORIZON_DEFAULT));
    });

    it('builds the same horizon after a restart, from the newest blocks only, and logs it', async () => {
      const { logger, lines } = capturingLogger();
      await run({ txIdHorizon: 10, logger }, async (first, reopen) => {
        await appendBlocks(first, 0, 50);
        const env = await reopen();
        expect(env.txIdCoverage().size).toBe(0);
        const ledger = env.channel('ch').ledger;
        expect(ledger.txLocation(tx(45, 0))).toEqual({ blockNumber: 45, position: 0 });
        expect(ledger.txLocation(tx(44, 1))).toBeUndefined();
        expect(env.txIdCoverage().get('ch')).toEqual({ oldestBlock: 45, txIds: 10 });
        expect(lines.filter((l) => l['txIdHorizon'] === 10)).toEqual([expect.objectContaining({ channel: 'ch', height: 50, oldestBlock: 45, txIds: 10 })]);
      });
    });

    it('forgets the horizon of a channel dropped with its ledger', async () => {
      await run({ txIdHorizon: 10 }, async (env) => {
        await appendBlocks(env, 0, 3);
        expect(env.channel('ch').ledger.txLocation(tx(2, 0))).toEqual({ blockNumber: 2, position: 0 });
        await env.releaseChannel('ch');
        await env.dropChannel('ch', { keepLedger: false });
        expect(env.txIdCoverage().size).toBe(0);
        await env.channel('ch').ledger.append(chainBlock('ch', 0, { txIds: ['fresh'] }));
        expect(env.channel('ch').ledger.txLocation(tx(2, 0))).toBeUndefined();
        expect(env.channel('ch').ledger.txLocation('fresh')).toEqual({ blockNumber: 0, position: 0 });
      });
    });

    it('refuses a horizon that is not a positive integer up to 2^28, naming the option', () => {
      for (const bad of [0, -1, 1.5, 2 ** 28 + 1]) {
        expect(() => openEnv(engine, freshDir(), { txIdHorizon: bad })).toThrow(StorageOptionsError);
        expect(() => openEnv(engine, freshDir(), { txIdHorizon: bad })).toThrow(/options\.txIdHorizon must be an integer in 1\.\.268435456/);
      }
    });
  });
}
