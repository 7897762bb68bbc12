// Test support for pulling without a Raft cluster: a chain of orderer-signed
// blocks built in memory (block 0 and some others config blocks carrying a
// channel config, whose orderer organizations may change along the chain), a
// source serving it (optionally tampered with), a fresh ledger holding its
// block 0, and a BlockPuller over them verifying with block 0's config. Fast:
// no ticks, no consensus, just blocks.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import {
  BlockCreator,
  BlockMetadataWriter,
  buildConfigEnvelope,
  createGenesisBlock,
  DEFAULT_RAFT_OPTIONS,
  extractChannelConfig,
  ordererOrganizationsOf,
  organizationConfigsOf,
  createSignedEnvelope,
  decodeBlock,
  decodeMetadata,
  encodeBlock,
  encodeMetadata,
  encodeSerializedIdentity,
  HeaderType,
  type Block,
} from '../../src/block/index.js';
import { BlockPuller, BlockPullError, PulledBlockVerifier, type BlockPullerOptions, type BlockSource } from '../../src/catchup/index.js';
import type { Engine } from '../../src/crypto/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ledgerBlockFromFabric, openWalEnvironment, type BlockLedger, type WalEnvironmentOptions } from '../../src/storage/index.js';
import { ManualClock } from '../chain/manualClock.js';
import type { Cleanups } from './catchupSupport.js';

export const CHANNEL = 'pulled';
const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });

export interface ChainSpec {
  readonly engine: Engine;
  /** SM2 signatures and SM3 block hashes (default: P-256, SHA-256). */
  readonly gm?: boolean;
  /** Blocks after block 0. */
  readonly blocks: number;
  /** Numbers of the blocks that are config blocks. */
  readonly configBlocks?: readonly number[];
  /**
   * The orderer organizations (of ORDERER_ORGS) of the config that block n
   * installs, for block 0 and some of configBlocks; the others keep the
   * config before them. Default for block 0: OrdererMSP alone.
   */
  readonly ordererOrgs?: Readonly<Record<number, readonly string[]>>;
  /**
   * From block n on (to the next entry), blocks are signed by an orderer of
   * this organization. Default: the last orderer organization of the config
   * in force before the block (a config block is signed under the config
   * before it, as an orderer signs it before it is applied), OrdererMSP when
   * that config has none.
   */
  readonly signerFrom?: Readonly<Record<number, string>>;
}

/** The organizations a chain's configs may list as orderer organizations. */
export const ORDERER_ORGS = ['OrdererMSP', 'Orderer2MSP'] as const;

export interface SignedChain {
  readonly spec: ChainSpec;
  /** OrdererMSP. */
  readonly org: DevOrganization;
  /** Marshaled blocks; index = block number, 0 is the genesis block. */
  readonly blocks: readonly Uint8Array[];
}

const built = new Map<string, SignedChain>();

/** A chain of `blocks` blocks after a genesis block, each signed by an orderer of `org`; built once per spec (signing is most of a test's time). */
export function signedChain(spec: ChainSpec): SignedChain {
  const key = JSON.stringify(spec);
  const chain = built.get(key) ?? buildChain(spec);
  built.set(key, chain);
  return chain;
}

function buildChain(spec: ChainSpec): SignedChain {
  const provider = createCryptoProvider(spec.engine);
  const hashAlgorithm = spec.gm === true ? 'sm3' : 'sha256';
  const hasher = provider.hasher(hashAlgorithm);
  const algorithm = spec.gm === true ? 'sm2' : 'ecdsa-p256';
  const orgs = new Map(ORDERER_ORGS.map((mspId) => [mspId, new DevOrganization({ mspId, algorithm, provider })]));
  const signers = new Map(
    [...orgs].map(([mspId, org]) => {
      const member = org.issueMember('orderer1');
      return [mspId, { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) }] as const;
    }),
  );
  const configAt = new Set(spec.configBlocks ?? []);
  const configOf = (ordererOrgs: readonly string[]): Uint8Array =>
    buildConfigEnvelope({
      channelId: CHANNEL,
      sequence: 0,
      consensusType: 'etcdraft',
      organizations: ordererOrgs.map((mspId) => {
        const org = orgs.get(mspId as (typeof ORDERER_ORGS)[number]);
        if (org === undefined) throw new Error(`no orderer organization ${mspId} in ORDERER_ORGS`);
        return {
          mspId,
          sections: ['orderer'],
          rootCerts: [org.root.certPem],
          intermediateCerts: [],
          adminCerts: [],
          tlsRootCerts: [],
          tlsIntermediateCerts: [],
        };
      }),
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
      batchTimeoutMs: 250,
      consenters: [],
      raftOptions: DEFAULT_RAFT_OPTIONS,
      hashAlgorithm,
      ordererAddresses: [],
      capabilities: { channel: [], orderer: [], application: [] },
      hasApplicationGroup: false,
    });
  const envelope = (type: number, data: Uint8Array): Uint8Array => createSignedEnvelope({ type, channelId: CHANNEL, data });
  let ordererOrgs: readonly string[] = spec.ordererOrgs?.[0] ?? ['OrdererMSP'];
  const genesis = createGenesisBlock(hasher, envelope(HeaderType.CONFIG, configOf(ordererOrgs)));
  const creator = new BlockCreator(hasher, genesis.header);
  const blocks = [encodeBlock(genesis)];
  let lastConfigBlockNumber = 0;
  let signerFrom: string | undefined;
  for (let n = 1; n <= spec.blocks; n++) {
    signerFrom = spec.signerFrom?.[n] ?? signerFrom;
    const signer = signerFrom ?? ordererOrgs[ordererOrgs.length - 1] ?? 'OrdererMSP';
    const isConfig = configAt.has(n);
    if (isConfig) ordererOrgs = spec.ordererOrgs?.[n] ?? ordererOrgs;
    const data = isConfig ? configOf(ordererOrgs) : new TextEncoder().encode(`block ${n}`);
    const block = creator.createNextBlock([envelope(isConfig ? HeaderType.CONFIG : HeaderType.ENDORSER_TRANSACTION, data)]);
    const identity = signers.get(signer as (typeof ORDERER_ORGS)[number]);
    if (identity === undefined) throw new Error(`block ${n}: no orderer organization ${signer} in ORDERER_ORGS`);
    const writer = new BlockMetadataWriter({ identity, lastConfigBlockNumber });
    blocks.push(encodeBlock(writer.write(block, { consenterIds: [1], nextConsenterId: 2, raftIndex: n + 10 })));
    lastConfigBlockNumber = writer.lastConfigBlockNumber;
  }
  return { spec, org: orgs.get('OrdererMSP')!, blocks };
}

/** The verifier of the config `chain`'s block 0 holds (its orderer organizations). */
export function genesisVerifier(chain: SignedChain): PulledBlockVerifier {
  const { engine, gm } = chain.spec;
  const values = extractChannelConfig(decodeBlock(chain.blocks[0]!));
  const ordererMspIds = ordererOrganizationsOf(values).map((o) => o.mspId);
  return new PulledBlockVerifier({
    engine,
    hasher: createCryptoProvider(engine).hasher(gm === true ? 'sm3' : 'sha256'),
    organizations: organizationConfigsOf(values),
    ordererMspIds,
  });
}

/** `block` with the last byte of its orderer signature flipped: hash chain and data hash intact, the signature wrong. */
export function forgeSignature(block: Block): Block {
  const signatures = decodeMetadata(block.metadata[0]!);
  const [first, ...rest] = signatures.signatures;
  const signature = Uint8Array.from(first!.signature);
  signature[signature.length - 1]! ^= 1;
  const metadata = [...block.metadata];
  metadata[0] = encodeMetadata({ ...signatures, signatures: [{ ...first!, signature }, ...rest] });
  return { ...block, metadata };
}

/** `block` with its envelope replaced: its data no longer hashes to the header's data hash. */
export function forgeData(block: Block): Block {
  return { ...block, data: [new Uint8Array(block.data[0]!.length).fill(7)] };
}

export interface ChainSourceOptions {
  readonly name?: string;
  /** Rewrites the blocks whose numbers it names. */
  readonly tamper?: ReadonlyMap<number, (block: Block) => Block>;
  /** The last block it serves (then it ends the stream as if that were all). */
  readonly endsAt?: number;
  /** Awaited before block n is sent (a source whose stream pauses), with the stream's abort signal. */
  readonly before?: (n: number, signal: AbortSignal) => Promise<void>;
}

/** A source serving `chain`. */
export function chainSource(chain: SignedChain, options: ChainSourceOptions = {}): BlockSource {
  const name = options.name ?? 'source';
  return {
    name,
    async deliver(channelId, fromNumber, toNumber, onBlock, signal) {
      if (channelId !== CHANNEL) throw new BlockPullError(`${name} does not serve channel ${channelId}`);
      for (let n = fromNumber; n <= Math.min(toNumber, options.endsAt ?? toNumber); n++) {
        if (signal.aborted) throw new BlockPullError('aborted');
        if (n >= chain.blocks.length) throw new BlockPullError(`${name} has no block ${n}`);
        await options.before?.(n, signal);
        const tamper = options.tamper?.get(n);
        await onBlock(tamper === undefined ? chain.blocks[n]! : encodeBlock(tamper(decodeBlock(chain.blocks[n]!))));
      }
    },
    async newest() {
      return chain.blocks[chain.blocks.length - 1]!;
    },
  };
}

export interface ChainPuller {
  readonly puller: BlockPuller;
  readonly verifier: PulledBlockVerifier;
  readonly ledger: BlockLedger;
  readonly clock: ManualClock;
  /** Pulls blocks 1..last (default: the chain's last block). */
  pull(last?: number): Promise<void>;
}

/**
 * A fresh ledger holding `chain`'s block 0 and a puller filling it from `sources` (one round; a ManualClock: no batch closes on a pause unless advanced).
 * `storage`: options of the ledger's environment (e.g. a sync hook); `sourcesOf`: the puller's sources of a later config.
 */
export async function chainPuller(
  chain: SignedChain,
  sources: BlockSource[],
  cleanups: Cleanups,
  storage: Partial<WalEnvironmentOptions> = {},
  sourcesOf?: BlockPullerOptions['sourcesOf'],
): Promise<ChainPuller> {
  const { engine, gm } = chain.spec;
  const hasher = createCryptoProvider(engine).hasher(gm === true ? 'sm3' : 'sha256');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulled-chain-'));
  const env = openWalEnvironment({ dir, engine, logger, ...storage });
  cleanups.push(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const ledger = env.channel(CHANNEL).ledger;
  await ledger.append(ledgerBlockFromFabric(chain.blocks[0]!, hasher, 0));
  const verifier = genesisVerifier(chain);
  const clock = new ManualClock();
  const puller = new BlockPuller({ channelId: CHANNEL, sources, verifier, ledger, hasher, logger, roundsMax: 1, clock, ...(sourcesOf && { sourcesOf }) });
  cleanups.push(() => puller.close());
  return {
    puller,
    verifier,
    ledger,
    clock,
    pull: (last = chain.blocks.length - 1) => puller.pullBlocks(1, decodeBlock(chain.blocks[last]!)),
  };
}
