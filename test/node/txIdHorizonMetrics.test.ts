import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerTxIdHorizonMetrics } from '../../src/node/txIdHorizonMetrics.js';
import type { WalEnvironment } from '../../src/storage/index.js';
import { chainBlock, openEnv, removeDir, tempDir } from '../storage/helpers.js';

describe('duplicate horizon metrics', () => {
  let env: WalEnvironment | undefined;
  const dir = tempDir();
  afterEach(async () => {
    await env?.close();
    removeDir(dir);
  });

  it('show, per channel whose horizon is built, the oldest block and the tx ids it covers', async () => {
    env = openEnv('native', dir, { txIdHorizon: 4 });
    const registry = new Registry();
    registerTxIdHorizonMetrics(registry, env);
    for (const channel of ['a', 'b']) for (let n = 0; n < 6; n++) await env.channel(channel).ledger.append(chainBlock(channel, n));
    expect(await registry.getSingleMetricAsString('orderer_txid_horizon_oldest_block')).not.toMatch(/channel=/);
    env.channel('a').ledger.txLocation('x');
    expect(await registry.getSingleMetricAsString('orderer_txid_horizon_oldest_block')).toMatch(/^orderer_txid_horizon_oldest_block\{channel="a"\} 4$/m);
    expect(await registry.getSingleMetricAsString('orderer_txid_horizon_txids')).toMatch(/^orderer_txid_horizon_txids\{channel="a"\} 4$/m);
    // Blocks of 2 tx ids, horizon 4: block 8 drops the generation of blocks 4 and 5.
    for (let n = 6; n < 9; n++) await env.channel('a').ledger.append(chainBlock('a', n));
    const oldest = await registry.getSingleMetricAsString('orderer_txid_horizon_oldest_block');
    expect(oldest).toMatch(/^orderer_txid_horizon_oldest_block\{channel="a"\} 6$/m);
    expect(oldest).not.toMatch(/channel="b"/);
  });
});
