// The ledger on real Fabric blocks (test/fixtures/fabric, see its SOURCE.md):
// the sample ledger chains by header hash and is accepted whole; the tampered
// one is refused at the block whose previous hash is wrong. Both engines.

import { describe, expect, it } from 'vitest';
import { LedgerAppendError } from '../../src/storage/index.js';
import { ledgerBlockFromFabric } from '../../src/storage/fabricBlock.js';
import { hex, ledgerBadDir, ledgerSampleDir, nodeSha256, readLedgerBlocks, readManifest } from '../block/fixtures.js';
import { engines, openEnv, tempDirsPerTest } from './helpers.js';

for (const engine of engines) {
  describe(`ledger on real Fabric blocks (${engine})`, () => {
    const freshDir = tempDirsPerTest();

    it('accepts the sample ledger, keeps its header hashes and indexes its transactions', async () => {
      const dir = freshDir();
      let env = openEnv(engine, dir);
      const manifest = readManifest(ledgerSampleDir);
      const blocks = readLedgerBlocks(ledgerSampleDir);
      for (const [i, bytes] of blocks.entries()) {
        const block = ledgerBlockFromFabric(bytes, nodeSha256, i);
        expect(hex(block.headerHash)).toBe(manifest[i]!.headerHash);
        await expect(env.channel('mychannel').ledger.append(block)).resolves.toBe('appended');
      }
      await env.close();
      env = openEnv(engine, dir);
      const ledger = env.channel('mychannel').ledger;
      expect(ledger.height).toBe(blocks.length);
      expect(Buffer.compare(ledger.block(blocks.length - 1).bytes, blocks.at(-1)!)).toBe(0);
      const tx = manifest.flatMap((b) => b.txs.map((t, position) => ({ t, position, number: b.number }))).find((x) => x.t.txId !== '');
      expect(tx).toBeDefined();
      expect(ledger.txLocation(tx!.t.txId)).toEqual({ blockNumber: tx!.number, position: tx!.position });
      await env.close();
    });

    it('refuses the tampered ledger at block 1 (previous hash mismatch)', async () => {
      const dir = freshDir();
      const env = openEnv(engine, dir);
      const [b0, b1] = readLedgerBlocks(ledgerBadDir);
      await env.channel('mychannel').ledger.append(ledgerBlockFromFabric(b0!, nodeSha256, 0));
      const err = await env
        .channel('mychannel')
        .ledger.append(ledgerBlockFromFabric(b1!, nodeSha256, 1))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LedgerAppendError);
      expect((err as LedgerAppendError).field).toBe('previousHash');
      expect(env.channel('mychannel').ledger.height).toBe(1);
      await env.close();
    });
  });
}
