// The blocks pulled after a config block are verified with the orderer
// organizations that block installs, as Fabric's BlockPuller switches to the
// config it carries: an orderer organization added there may sign the blocks
// after it, one removed there may not; the config block itself is verified
// under the config before it. A later source of the same catch-up, or a
// puller built after a restart, starts with the config of the ledger's last
// config block. A config block without a
// usable config is refused, never appended. On both engines and on SM2/SM3.

import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock } from '../../src/block/index.js';
import { pino } from 'pino';
import { BlockPuller, BlockPullError, PULL_BATCH_BLOCKS_MAX } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/index.js';
import { ManualClock } from '../chain/manualClock.js';
import type { Cleanups } from './catchupSupport.js';
import { CHANNEL, chainPuller, chainSource, genesisVerifier, signedChain, type ChainPuller, type SignedChain } from './signedChain.js';

const cleanups: Cleanups = [];
/** Two full batches and a partial one. */
const BLOCKS = 2 * PULL_BATCH_BLOCKS_MAX + 22;
const CONFIG = 40;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function expectLedgerIs(p: ChainPuller, chain: SignedChain, height: number): void {
  expect(p.ledger.height).toBe(height);
  for (let n = 0; n < height; n++) expect(Buffer.from(p.ledger.block(n).bytes).equals(Buffer.from(chain.blocks[n]!)), `block ${n}`).toBe(true);
}

/** The MSP id of the orderer that signed block `n` of `chain` (its first signature). */
function signerOf(chain: SignedChain, n: number): string {
  const creator = Buffer.from(decodeBlock(chain.blocks[n]!).metadata[0]!).toString('latin1');
  return creator.includes('Orderer2MSP') ? 'Orderer2MSP' : 'OrdererMSP';
}

describe.each([
  { engine: 'native', gm: false },
  { engine: 'native-free', gm: false },
  { engine: 'native', gm: true },
] as const)('block puller: the config a pulled config block installs ($engine, gm: $gm)', ({ engine, gm }) => {
  /** Block 0 lists OrdererMSP; config block 40 adds Orderer2MSP, whose orderer alone signs the blocks after it. */
  const added = () => signedChain({ engine, gm, blocks: BLOCKS, configBlocks: [CONFIG], ordererOrgs: { [CONFIG]: ['OrdererMSP', 'Orderer2MSP'] } });

  it('an orderer organization added by a config block signs the blocks after it: they are pulled', async () => {
    const chain = added();
    expect([signerOf(chain, CONFIG), signerOf(chain, CONFIG + 1), signerOf(chain, BLOCKS)]).toEqual(['OrdererMSP', 'Orderer2MSP', 'Orderer2MSP']);
    const p = await chainPuller(chain, [chainSource(chain)], cleanups);
    await p.pull();
    expectLedgerIs(p, chain, BLOCKS + 1);
  });

  it('a later source of the same catch-up verifies with the config of the ledger’s last config block', async () => {
    const chain = added();
    const first = chainSource(chain, { name: 'first', endsAt: CONFIG + 20 });
    const p = await chainPuller(chain, [first, chainSource(chain, { name: 'second' })], cleanups);
    // One round: the second source must take over where the first ended, under the config block 40 installed.
    await p.pull();
    expectLedgerIs(p, chain, BLOCKS + 1);
  });

  it('a puller built on a ledger that already holds a later config block (a restart) verifies with that config', async () => {
    const chain = added();
    const before = await chainPuller(chain, [chainSource(chain, { name: 'before' })], cleanups);
    await before.pull(CONFIG + 20);
    before.puller.close();
    // Given block 0's organizations, as a chain started from its genesis or channel file is.
    const after = new BlockPuller({
      channelId: CHANNEL,
      sources: [chainSource(chain, { name: 'after' })],
      verifier: genesisVerifier(chain),
      ledger: before.ledger,
      hasher: createCryptoProvider(engine).hasher(gm ? 'sm3' : 'sha256'),
      logger: pino({ level: 'silent' }),
      roundsMax: 1,
      clock: new ManualClock(),
    });
    cleanups.push(() => after.close());
    await after.pullBlocks(CONFIG + 21, decodeBlock(chain.blocks[BLOCKS]!));
    expectLedgerIs(before, chain, BLOCKS + 1);
  });

  it('an orderer organization removed by a config block may not sign the blocks after it: the batch is refused, nothing of it appended', async () => {
    const chain = signedChain({
      engine,
      gm,
      blocks: BLOCKS,
      configBlocks: [CONFIG],
      ordererOrgs: { 0: ['OrdererMSP', 'Orderer2MSP'], [CONFIG]: ['Orderer2MSP'] },
      signerFrom: { [CONFIG + 1]: 'OrdererMSP' },
    });
    expect([signerOf(chain, CONFIG), signerOf(chain, CONFIG + 1)]).toEqual(['Orderer2MSP', 'OrdererMSP']);
    const p = await chainPuller(chain, [chainSource(chain)], cleanups);
    const last = CONFIG + PULL_BATCH_BLOCKS_MAX;
    await expect(p.pull()).rejects.toThrow(
      new RegExp(
        `block ${last} from source is not signed by an orderer of the channel \\(signature 0: OrdererMSP is not an orderer organization\\); blocks ${CONFIG + 1}\\.\\.${last}`,
      ),
    );
    expectLedgerIs(p, chain, CONFIG + 1);
  });

  it('a config block whose config has no orderer organization is refused: the blocks before it are appended, it is not', async () => {
    const chain = signedChain({ engine, gm, blocks: BLOCKS, configBlocks: [CONFIG], ordererOrgs: { [CONFIG]: [] } });
    const p = await chainPuller(chain, [chainSource(chain)], cleanups);
    await expect(p.pull()).rejects.toThrow(new RegExp(`config block ${CONFIG} from source: its channel config has no orderer organization`));
    expectLedgerIs(p, chain, CONFIG);
  });
});

describe('PulledBlockVerifier.installedBy', () => {
  it('refuses a block that holds no readable channel config, naming it', () => {
    const chain = signedChain({ engine: 'native', blocks: 3 });
    const verifier = genesisVerifier(chain);
    expect(() => verifier.installedBy(decodeBlock(chain.blocks[2]!), 'orderer x')).toThrow(BlockPullError);
    expect(() => verifier.installedBy(decodeBlock(chain.blocks[2]!), 'orderer x')).toThrow(/config block 2 from orderer x holds no readable channel config: /);
  });

  it('takes the orderer organizations of the config, not the others', () => {
    const chain = signedChain({ engine: 'native', blocks: 3, configBlocks: [2], ordererOrgs: { 2: ['Orderer2MSP'] }, signerFrom: { 3: 'OrdererMSP' } });
    const installed = genesisVerifier(chain).installedBy(decodeBlock(chain.blocks[2]!), 'orderer x');
    const tip = installed.tipOf(decodeBlock(chain.blocks[2]!).header);
    expect(() => installed.verifyNext(chain.blocks[3]!, tip, 'orderer x')).toThrow(/OrdererMSP is not an orderer organization/);
  });
});
