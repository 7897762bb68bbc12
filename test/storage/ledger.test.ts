// Block ledger rules on both engines: the append rule (number = height,
// previousHash = header hash of the last block), reads, ranges, last config,
// the txId index, waiting for a block, and skipping replayed entries.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlockNotFoundError, LedgerAppendError, WaitAbortedError, type WalEnvironment } from '../../src/storage/index.js';
import { blockBytes, chainBlock, engines, fakeHeaderHash, openEnv, removeDir, tempDir } from './helpers.js';

for (const engine of engines) {
  describe(`block ledger (${engine})`, () => {
    let dir: string;
    let env: WalEnvironment;
    beforeEach(() => {
      dir = tempDir();
      env = openEnv(engine, dir);
    });
    afterEach(async () => {
      await env.close();
      removeDir(dir);
    });

    async function appendChain(channel: string, n: number): Promise<void> {
      for (let i = 0; i < n; i++) await env.channel(channel).ledger.append(chainBlock(channel, i, { isConfig: i === 0 || i === 3 }));
    }

    it('appends a chain and reads it back by number and by range', async () => {
      await appendChain('ch', 5);
      const ledger = env.channel('ch').ledger;
      expect(ledger.height).toBe(5);
      expect(Array.from(ledger.block(2).bytes)).toEqual(Array.from(blockBytes('ch', 2)));
      expect(ledger.block(2).raftIndex).toBe(3);
      expect([...ledger.blocks(1, 4)].map((b) => b.number)).toEqual([1, 2, 3]);
      expect([...ledger.blocks(2, 2)]).toEqual([]);
      expect(ledger.lastConfig).toBe(3);
    });

    it('refuses a block whose number is not the height, naming expected and actual', async () => {
      await appendChain('ch', 2);
      const err = await env
        .channel('ch')
        .ledger.append(chainBlock('ch', 3))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LedgerAppendError);
      expect((err as LedgerAppendError).code).toBe('LEDGER_BAD_BLOCK');
      expect((err as LedgerAppendError).message).toMatch(/block 3 refused: number expected 2, got 3/);
      expect(env.channel('ch').ledger.height).toBe(2);
    });

    it('refuses a block whose previous hash is not the header hash of the last block', async () => {
      await appendChain('ch', 2);
      const forged = { ...chainBlock('ch', 2), previousHash: fakeHeaderHash('other', 1) };
      const err = await env
        .channel('ch')
        .ledger.append(forged)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LedgerAppendError);
      expect((err as Error).message).toContain(`previousHash expected ${Buffer.from(fakeHeaderHash('ch', 1)).toString('hex')}`);
      expect((err as Error).message).toContain(Buffer.from(fakeHeaderHash('other', 1)).toString('hex'));
    });

    it('reads past the height throw BlockNotFoundError', async () => {
      await appendChain('ch', 1);
      expect(() => env.channel('ch').ledger.block(1)).toThrow(BlockNotFoundError);
      expect(() => [...env.channel('ch').ledger.blocks(0, 2)]).toThrow(BlockNotFoundError);
    });

    it('indexes txIds to (block, position), first occurrence wins', async () => {
      const ledger = env.channel('ch').ledger;
      await ledger.append(chainBlock('ch', 0, { txIds: ['a', 'b'] }));
      await ledger.append(chainBlock('ch', 1, { txIds: ['c', 'a'] }));
      expect(ledger.txLocation('b')).toEqual({ blockNumber: 0, position: 1 });
      expect(ledger.txLocation('c')).toEqual({ blockNumber: 1, position: 0 });
      expect(ledger.txLocation('a')).toEqual({ blockNumber: 0, position: 0 });
      expect(ledger.txLocation('zzz')).toBeUndefined();
    });

    it('keeps the txId index current after its first use, and across a reopen', async () => {
      let ledger = env.channel('ch').ledger;
      await ledger.append(chainBlock('ch', 0, { txIds: ['a'] }));
      expect(ledger.txLocation('a')).toEqual({ blockNumber: 0, position: 0 });
      await ledger.append(chainBlock('ch', 1, { txIds: ['b', 'a'] }));
      expect(ledger.txLocation('b')).toEqual({ blockNumber: 1, position: 0 });
      expect(ledger.txLocation('a')).toEqual({ blockNumber: 0, position: 0 });
      await env.close();
      env = openEnv(engine, dir);
      ledger = env.channel('ch').ledger;
      expect(ledger.txLocation('b')).toEqual({ blockNumber: 1, position: 0 });
      expect(ledger.txLocation('a')).toEqual({ blockNumber: 0, position: 0 });
    });

    it('waitForBlock resolves when the block is appended and at once for an old block', async () => {
      const ledger = env.channel('ch').ledger;
      const order: string[] = [];
      const waiting = ledger.waitForBlock(1).then(() => order.push(`woke at height ${ledger.height}`));
      await ledger.append(chainBlock('ch', 0));
      order.push('appended 0');
      await ledger.append(chainBlock('ch', 1));
      await waiting;
      expect(order).toEqual(['appended 0', 'woke at height 2']);
      await expect(ledger.waitForBlock(0)).resolves.toBeUndefined();
    });

    it('waitForBlock rejects when aborted and when the environment closes', async () => {
      const ledger = env.channel('ch').ledger;
      const ac = new AbortController();
      const aborted = ledger.waitForBlock(5, ac.signal);
      ac.abort();
      await expect(aborted).rejects.toBeInstanceOf(WaitAbortedError);
      const pending = ledger.waitForBlock(7);
      await env.close();
      await expect(pending).rejects.toBeInstanceOf(WaitAbortedError);
      env = openEnv(engine, dir); // afterEach closes this one
    });

    it('after a restart, a block replayed from an already applied raft entry is skipped, not written twice', async () => {
      await appendChain('ch', 3);
      await env.close();
      env = openEnv(engine, dir);
      const ledger = env.channel('ch').ledger;
      expect([ledger.height, ledger.lastRaftIndex, ledger.lastConfig]).toEqual([3, 3, 0]);
      await expect(ledger.append(chainBlock('ch', 1))).resolves.toBe('duplicate');
      await expect(ledger.append(chainBlock('ch', 2))).resolves.toBe('duplicate');
      expect(ledger.height).toBe(3);
      await expect(ledger.append(chainBlock('ch', 3))).resolves.toBe('appended');
      // A different block claiming an applied raft index is not a replay.
      await expect(ledger.append({ ...chainBlock('ch', 1), headerHash: fakeHeaderHash('x', 1) })).rejects.toBeInstanceOf(LedgerAppendError);
    });

    it('blocks of 1 MiB round-trip, and blocks of different channels do not mix', async () => {
      const big = chainBlock('big', 0, { size: 1024 * 1024 });
      await Promise.all([env.channel('big').ledger.append(big), env.channel('small').ledger.append(chainBlock('small', 0))]);
      await env.close();
      env = openEnv(engine, dir);
      expect(Buffer.compare(env.channel('big').ledger.block(0).bytes, big.bytes)).toBe(0);
      expect(env.channel('small').ledger.block(0).txIds).toEqual(['small-tx-0-0', 'small-tx-0-1']);
      expect(env.channel('small').ledger.height).toBe(1);
    });
  });
}
