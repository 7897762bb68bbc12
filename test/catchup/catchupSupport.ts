// Test support for catch-up: BlockPullers over in-process sources that read
// other nodes' ledgers (optionally tampering with what they serve), built
// lazily so a restarted node's puller writes to its reopened storage.

import { decodeBlock, encodeBlock, type Block } from '../../src/block/index.js';
import { BlockPuller, BlockPullError, PulledBlockVerifier, type BlockSource, type SnapshotCatchUp } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { pino } from 'pino';
import { CHANNEL, type TestCluster } from '../chain/harness.js';

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });

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
