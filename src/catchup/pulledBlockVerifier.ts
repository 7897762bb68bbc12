// Verification of a block pulled from another orderer before it enters this
// node's ledger (Fabric's BlockPuller + VerifyBlocks): it must be the next
// block of the local chain (number, previous hash), its data must hash to the
// header's data hash, and it must carry at least one orderer signature that
// verifies under a certificate of one of the channel's orderer organizations;
// a pulled run of blocks needs that signature on its last block only (and on
// every config block), the hash chain vouching for the rest (pulledBatches.ts).
// A block failing any check is never appended: the puller tries another orderer.
// A config block, once its own signature verified under the config in force
// before it, installs the organizations that may sign the blocks after it
// (installedBy: Fabric's BlockPuller switches to the config it carries).

import {
  dataHash,
  decodeBlock,
  decodeSerializedIdentity,
  extractChannelConfig,
  headerHash,
  ordererOrganizationsOf,
  organizationConfigsOf,
  readBlockSignatures,
  type Block,
  type HeaderFields,
} from '../block/index.js';
import { IdentityValidator } from '../crypto/index.js';
import type { OrganizationConfig } from '../crypto/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import type { Engine, Hasher, Verifier } from '../crypto/index.js';
import { OrdererError } from '../errors.js';

/** A pulled block (or a whole pull) was refused; the message names the block, the source and the check. */
export class BlockPullError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BLOCK_PULL_FAILED', message, options);
  }
}

export interface PulledBlockVerifierOptions {
  readonly engine: Engine;
  /** The channel's block hash (sha256, sm3 on GM channels). */
  readonly hasher: Hasher;
  /** Organizations whose certified identities may sign blocks. */
  readonly organizations: readonly OrganizationConfig[];
  /**
   * MSP ids allowed to sign blocks (Fabric: the orderer organizations). Empty
   * or absent: any organization of `organizations`.
   */
  readonly ordererMspIds?: readonly string[];
}

/** The local end of the chain a pulled block must extend. */
export interface ChainTip {
  readonly number: number;
  readonly headerHash: Uint8Array;
}

export class PulledBlockVerifier {
  readonly #hasher: Hasher;
  readonly #identities: IdentityValidator;
  readonly #engine: Engine;
  readonly #ordererMspIds: ReadonlySet<string>;

  constructor(options: PulledBlockVerifierOptions) {
    this.#hasher = options.hasher;
    this.#engine = options.engine;
    this.#identities = new IdentityValidator({ engine: options.engine, organizations: options.organizations, cacheEntriesMax: 64 });
    this.#ordererMspIds = new Set(options.ordererMspIds ?? []);
  }

  /**
   * The verifier of the blocks after config block `block` (Fabric verifies
   * them with the config it installs): its orderer organizations, the only
   * ones whose orderers may sign, with their root and intermediate CAs; the
   * same engine and hash (the channel's hash algorithm is not changed by a
   * config update). Throws BlockPullError naming the block when it holds no
   * readable channel config or its config has no orderer organization.
   */
  installedBy(block: Block, source: string): PulledBlockVerifier {
    const { number } = block.header;
    let values;
    try {
      values = extractChannelConfig(block);
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      throw new BlockPullError(`config block ${number} from ${source} holds no readable channel config: ${err.message}`, { cause: err });
    }
    const ordererMspIds = ordererOrganizationsOf(values).map((o) => o.mspId);
    if (ordererMspIds.length === 0) throw new BlockPullError(`config block ${number} from ${source}: its channel config has no orderer organization`);
    return new PulledBlockVerifier({
      engine: this.#engine,
      hasher: this.#hasher,
      organizations: organizationConfigsOf(values).filter((o) => ordererMspIds.includes(o.mspId)),
      ordererMspIds,
    });
  }

  tipOf(header: HeaderFields): ChainTip {
    return { number: header.number, headerHash: headerHash(this.#hasher, header) };
  }

  /**
   * Returns the decoded block if `bytes` is a well-formed, correctly signed
   * successor of `tip`; throws BlockPullError naming the failed check otherwise.
   */
  verifyNext(bytes: Uint8Array, tip: ChainTip, source: string, now = new Date()): Block {
    const block = this.#chained(bytes, tip, source);
    this.#verifyContent(block, source, now);
    return block;
  }

  /** `bytes` decoded, checked to be the block after `tip` (number, previous hash). */
  #chained(bytes: Uint8Array, tip: ChainTip, source: string): Block {
    const expected = tip.number + 1;
    const block = this.#decode(bytes, `block ${expected}`, source);
    const { number } = block.header;
    if (number !== expected) throw new BlockPullError(`${source} sent block ${number} where block ${expected} was expected`);
    if (!equalBytes(block.header.previousHash, tip.headerHash)) {
      throw new BlockPullError(
        `block ${number} from ${source} does not extend the local chain: its previous hash is not the header hash of block ${tip.number}`,
      );
    }
    return block;
  }

  /**
   * The checks of verifyNext but the orderer signature: `bytes` decoded, the
   * block after `tip` (number, previous hash), its data hashing to the header's
   * data hash. Throws BlockPullError naming the failed check. The block is not
   * vouched for until the signature of a block at or after it in the same
   * hash-chained run verified (verifySignature): the chain makes that
   * signature cover it (Fabric's VerifyBlocks).
   */
  verifyChained(bytes: Uint8Array, tip: ChainTip, source: string): Block {
    const block = this.#chained(bytes, tip, source);
    this.#verifyDataHash(block, source);
    return block;
  }

  /**
   * At least one signature of `block` by an orderer organization's certified
   * identity verifies; checked off this thread where the engine can (node:crypto
   * on libuv's thread pool; the native-free engine and SM2 verify here).
   * Rejects with BlockPullError naming the block and why each signature was refused.
   */
  verifySignature(block: Block, source: string, now = new Date()): Promise<void> {
    return this.#verifyOrdererSignatureOffThread(block, source, now);
  }

  /**
   * A block on its own (no chain to extend, e.g. the newest block read for
   * eviction suspicion): data hash and orderer signature. Block 0, which no
   * orderer signs (the channel's genesis block comes from its creator), is
   * taken when it is `genesis`, this node's own block 0 (same header hash,
   * its data hashing to the header's data hash). Throws BlockPullError.
   */
  verifyStandalone(bytes: Uint8Array, source: string, genesis?: ChainTip, now = new Date()): Block {
    const block = this.#decode(bytes, 'newest block', source);
    if (block.header.number === 0 && genesis !== undefined) {
      if (!equalBytes(this.tipOf(block.header).headerHash, genesis.headerHash)) {
        throw new BlockPullError(`block 0 from ${source} is not this node's genesis block (header hashes differ)`);
      }
      if (!equalBytes(dataHash(this.#hasher, block.data), block.header.dataHash)) {
        throw new BlockPullError(`block 0 from ${source}: its data does not hash to the header's data hash`);
      }
      return block;
    }
    this.#verifyContent(block, source, now);
    return block;
  }

  #decode(bytes: Uint8Array, what: string, source: string): Block {
    try {
      return decodeBlock(bytes);
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      throw new BlockPullError(`${what} from ${source} does not decode: ${err.message}`, { cause: err });
    }
  }

  #verifyContent(block: Block, source: string, now: Date): void {
    this.#verifyDataHash(block, source);
    this.#verifyOrdererSignature(block, source, now);
  }

  #verifyDataHash(block: Block, source: string): void {
    if (!equalBytes(dataHash(this.#hasher, block.data), block.header.dataHash)) {
      throw new BlockPullError(`block ${block.header.number} from ${source}: its data does not hash to the header's data hash`);
    }
  }

  /** At least one signature by an orderer organization's identity that verifies. */
  #verifyOrdererSignature(block: Block, source: string, now: Date): void {
    const { candidates, problems } = this.#signatureCandidates(block, source, now);
    for (const c of candidates) {
      if (c.verifier.verify(c.publicKey, c.data, c.signature)) return;
      problems.push(`signature ${c.index}: does not verify`);
    }
    throw this.#unsigned(block, source, problems);
  }

  /** The same, the signatures checked off this thread where the engine can (the rest of the block was checked already). */
  async #verifyOrdererSignatureOffThread(block: Block, source: string, now: Date): Promise<void> {
    const { candidates, problems } = this.#signatureCandidates(block, source, now);
    for (const c of candidates) {
      const ok =
        c.verifier.verifyOffThread === undefined
          ? c.verifier.verify(c.publicKey, c.data, c.signature)
          : await c.verifier.verifyOffThread(c.publicKey, c.data, c.signature);
      if (ok) return;
      problems.push(`signature ${c.index}: does not verify`);
    }
    throw this.#unsigned(block, source, problems);
  }

  /** The block's signatures by certified identities of an orderer organization (what is left to verify), and why the others were refused. */
  #signatureCandidates(block: Block, source: string, now: Date): { candidates: SignatureCandidate[]; problems: string[] } {
    const { number } = block.header;
    let signatures;
    try {
      signatures = readBlockSignatures(block).signedData;
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      throw new BlockPullError(`block ${number} from ${source}: unreadable signatures metadata: ${err.message}`, { cause: err });
    }
    const candidates: SignatureCandidate[] = [];
    const problems: string[] = [];
    for (const [i, signed] of signatures.entries()) {
      try {
        const creator = decodeSerializedIdentity(signed.creator, { code: 'BAD_METADATA', path: `block ${number} signature ${i} creator` });
        if (this.#ordererMspIds.size > 0 && !this.#ordererMspIds.has(creator.mspid)) {
          problems.push(`signature ${i}: ${creator.mspid} is not an orderer organization`);
          continue;
        }
        const identity = this.#identities.validate({ mspId: creator.mspid, idBytes: creator.idBytes }, now);
        const verifier = createCryptoProvider(this.#engine).verifier(identity.algorithm);
        candidates.push({ index: i, verifier, publicKey: identity.publicKey, data: signed.data, signature: signed.signature });
      } catch (err) {
        if (!(err instanceof OrdererError)) throw err;
        problems.push(`signature ${i}: ${err.message}`);
      }
    }
    return { candidates, problems };
  }

  #unsigned(block: Block, source: string, problems: readonly string[]): BlockPullError {
    const why = problems.length === 0 ? 'no orderer signature' : problems.join('; ');
    return new BlockPullError(`block ${block.header.number} from ${source} is not signed by an orderer of the channel (${why})`);
  }
}

/** One signature of a block left to verify: its signer is a certified identity of an orderer organization. */
interface SignatureCandidate {
  readonly index: number;
  readonly verifier: Verifier;
  readonly publicKey: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
