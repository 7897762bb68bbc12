// Test support for catch-up: BlockPullers over in-process sources that read
// other nodes' ledgers (optionally tampering with what they serve), built
// lazily so a restarted node's puller writes to its reopened storage.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeBlock, encodeBlock, type Block } from '../../src/block/index.js';
import { BlockPuller, BlockPullError, PulledBlockVerifier, type BlockSource, type SnapshotCatchUp } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { pino } from 'pino';
import { ledgerBlockFromFabric, openWalEnvironment, type WalEnvironment, type WalEnvironmentOptions } from '../../src/storage/index.js';
import { CHANNEL, TestCluster } from '../chain/harness.js';

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });
const sha256 = createCryptoProvider('native').hasher('sha256');

/** What each node's puller did. */
export interface PullRecord {
  readonly pulled: number[];
  /** Source names that failed, in order. */
  readonly failedSources: string[];
}

/** A source reading node `id`'s ledger; `tamper` may rewrite a block before it is served. */
export function ledgerSource(c: TestCluster, id: number, tamper?: (block: Block) => Block): BlockSource {
  return {
    name: `node ${id}`,
    async deliver(channelId, fromNumber, toNumber, onBlock, signal) {
      const chain = c.chain(id);
      if (channelId !== CHANNEL) throw new BlockPullError(`node ${id} does not serve channel ${channelId}`);
      for (let n = fromNumber; n <= toNumber; n++) {
        if (signal.aborted) throw new BlockPullError('aborted');
        if (n >= chain.height()) throw new BlockPullError(`node ${id} has no block ${n} (height ${chain.height()})`);
        const bytes = chain.block(n);
        await onBlock(tamper === undefined ? bytes : encodeBlock(tamper(decodeBlock(bytes))));
      }
    },
    async newest() {
      const chain = c.chain(id);
      return chain.block(chain.height() - 1);
    },
  };
}

/** A lazy catch-up hook for node `id` pulling from `sources(id)`, recording into `records`. */
export function pullerFor(c: TestCluster, id: number, sources: (id: number) => BlockSource[], records: Map<number, PullRecord>): SnapshotCatchUp {
  const record: PullRecord = { pulled: [], failedSources: [] };
  records.set(id, record);
  const recordingLogger = logger.child({ node: id });
  return {
    pullBlocks(fromNumber, target) {
      const node = c.node(id);
      const hasher = createCryptoProvider('native').hasher(c.hashAlgorithm);
      const wrapped = sources(id).map(
        (s): BlockSource => ({
          name: s.name,
          newest: (ch, signal) => s.newest(ch, signal),
          deliver: (ch, from, to, onBlock, signal) =>
            s.deliver(ch, from, to, onBlock, signal).catch((err: unknown) => {
              record.failedSources.push(s.name);
              throw err;
            }),
        }),
      );
      const puller = new BlockPuller({
        channelId: CHANNEL,
        sources: wrapped,
        verifier: new PulledBlockVerifier({ engine: 'native', hasher, organizations: [c.org.config] }),
        ledger: node.env.channel(CHANNEL).ledger,
        hasher,
        logger: recordingLogger,
        backoffInitialMs: 100,
        clock: c.clock,
        onBlockPulled: (n) => record.pulled.push(n),
      });
      return puller.pullBlocks(fromNumber, target);
    },
  };
}

/** Tear-downs a test file runs after each test, newest first. */
export type Cleanups = (() => Promise<void> | void)[];

/** A cluster whose node 1 holds at least `blocks` blocks after genesis, `perWave` envelopes a block. */
export async function chainOfManyBlocks(cleanups: Cleanups, blocks: number, perWave: number): Promise<TestCluster> {
  const c = new TestCluster();
  cleanups.push(() => c.close());
  await c.start();
  const leader = await c.waitForLeader();
  for (let wave = 0; c.chain(1).height() <= blocks; wave++) {
    await Promise.all(Array.from({ length: perWave }, () => c.chain(leader).submit(c.envelope().bytes)));
    await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === perWave * (wave + 1)), 60, `wave ${wave} everywhere`);
  }
  return c;
}

/** A native ledger in a temp dir holding only the cluster's genesis block, closed and removed by `cleanups`. */
export async function freshLedger(c: TestCluster, cleanups: Cleanups, prefix: string, options: Partial<WalEnvironmentOptions> = {}): Promise<WalEnvironment> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env = openWalEnvironment({ dir, engine: 'native', logger, ...options });
  cleanups.push(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await env.channel(CHANNEL).ledger.append(ledgerBlockFromFabric(c.genesis, sha256, 0));
  return env;
}
