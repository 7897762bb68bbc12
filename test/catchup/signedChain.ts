// Test support for pulling without a Raft cluster: a chain of orderer-signed
// blocks built in memory (some of them config blocks), a source serving it
// (optionally tampered with), a fresh ledger holding its block 0, and a
// BlockPuller over them. Fast: no ticks, no consensus, just blocks.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import {
  BlockCreator,
  BlockMetadataWriter,
  createGenesisBlock,
  createSignedEnvelope,
  decodeBlock,
  decodeMetadata,
  encodeBlock,
  encodeMetadata,
  encodeSerializedIdentity,
  HeaderType,
  type Block,
} from '../../src/block/index.js';
import { BlockPuller, BlockPullError, PulledBlockVerifier, type BlockSource } from '../../src/catchup/index.js';
import type { Engine } from '../../src/crypto/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ledgerBlockFromFabric, openWalEnvironment, type BlockLedger } from '../../src/storage/index.js';
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
}

export interface SignedChain {
  readonly spec: ChainSpec;
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
  const hasher = provider.hasher(spec.gm === true ? 'sm3' : 'sha256');
  const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: spec.gm === true ? 'sm2' : 'ecdsa-p256', provider });
  const member = org.issueMember('orderer1');
  const identity = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
  const configAt = new Set(spec.configBlocks ?? []);
  const envelope = (type: number, n: number): Uint8Array => createSignedEnvelope({ type, channelId: CHANNEL, data: new TextEncoder().encode(`block ${n}`) });
  const genesis = createGenesisBlock(hasher, envelope(HeaderType.CONFIG, 0));
  const creator = new BlockCreator(hasher, genesis.header);
  const writer = new BlockMetadataWriter({ identity, lastConfigBlockNumber: 0 });
  const blocks = [encodeBlock(genesis)];
  for (let n = 1; n <= spec.blocks; n++) {
    const block = creator.createNextBlock([envelope(configAt.has(n) ? HeaderType.CONFIG : HeaderType.ENDORSER_TRANSACTION, n)]);
    blocks.push(encodeBlock(writer.write(block, { consenterIds: [1], nextConsenterId: 2, raftIndex: n + 10 })));
  }
  return { spec, org, blocks };
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

/** A fresh ledger holding `chain`'s block 0 and a puller filling it from `sources` (one round; a ManualClock: no batch closes on a pause unless advanced). */
export async function chainPuller(chain: SignedChain, sources: BlockSource[], cleanups: Cleanups): Promise<ChainPuller> {
  const { engine, gm } = chain.spec;
  const hasher = createCryptoProvider(engine).hasher(gm === true ? 'sm3' : 'sha256');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulled-chain-'));
  const env = openWalEnvironment({ dir, engine, logger });
  cleanups.push(async () => {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const ledger = env.channel(CHANNEL).ledger;
  await ledger.append(ledgerBlockFromFabric(chain.blocks[0]!, hasher, 0));
  const verifier = new PulledBlockVerifier({ engine, hasher, organizations: [chain.org.config] });
  const clock = new ManualClock();
  const puller = new BlockPuller({ channelId: CHANNEL, sources, verifier, ledger, hasher, logger, roundsMax: 1, clock });
  cleanups.push(() => puller.close());
  return {
    puller,
    verifier,
    ledger,
    clock,
    pull: (last = chain.blocks.length - 1) => puller.pullBlocks(1, decodeBlock(chain.blocks[last]!)),
  };
}
