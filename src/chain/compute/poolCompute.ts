// ChainCompute over the worker pool: every signature check, block hash and
// block signature runs in the pool's threads. A channel's verification
// context is registered once (on first use) and referred to by its handle.

import type { OrdererIdentity } from '../../block/index.js';
import { createCryptoProvider } from '../../crypto/index.js';
import type { Engine, HashAlgorithm } from '../../crypto/index.js';
import { signBlockMetadata, type ContextHandle, type SignerInput, type WorkerPool } from '../../workers/index.js';
import type { BlockStart, BlockToSign, BuiltBlockEntry, ChainCompute, EnvelopeVerdict, SignedMetadata, VerificationContext } from './compute.js';

export class PoolCompute implements ChainCompute {
  readonly #verification = new WeakMap<VerificationContext, Promise<ContextHandle<'verification'>>>();
  #signer: Promise<ContextHandle<'signer'>> | undefined;
  #identity: OrdererIdentity | undefined;

  /** `signer`: this orderer's signing key and identity, registered in the pool on first use. */
  constructor(
    private readonly pool: WorkerPool,
    private readonly signer: SignerInput,
  ) {}

  get threads(): number {
    return this.pool.options.maxThreads;
  }

  async verifyBatch(context: VerificationContext, envelopes: readonly Uint8Array[]): Promise<readonly EnvelopeVerdict[]> {
    let handle = this.#verification.get(context);
    if (handle === undefined) {
      const { channelId, engine, signatureAlgorithm, organizations } = context;
      handle = this.pool.registerVerificationContext({ channelId, engine, signatureAlgorithm, organizations });
      this.#verification.set(context, handle);
    }
    return this.pool.verifyBatch(await handle, envelopes);
  }

  blockEntry(
    engine: Engine,
    algorithm: HashAlgorithm,
    start: BlockStart,
    envelopes: readonly Uint8Array[],
    txIds: readonly string[],
  ): Promise<BuiltBlockEntry> {
    return this.pool.blockEntry({ engine, hashAlgorithm: algorithm, number: start.number, previousHash: start.previousHash, data: envelopes, txIds });
  }

  async signBlocks(blocks: readonly BlockToSign[]): Promise<readonly SignedMetadata[]> {
    this.#signer ??= this.pool.registerSigner(this.signer);
    return this.pool.signBlocksMetadata(await this.#signer, blocks);
  }

  /** The pool's signBlocks on the calling thread, with the same identity (the workers' function). */
  signBlocksHere(blocks: readonly BlockToSign[]): readonly SignedMetadata[] {
    const identity = this.ordererIdentity();
    return blocks.map(({ block, lastConfigBlockNumber, consenterMetadata }) => signBlockMetadata(identity, block, lastConfigBlockNumber, consenterMetadata));
  }

  /** Signs on the calling thread: the orderer creates an envelope only per config update. */
  ordererIdentity(): OrdererIdentity {
    this.#identity ??= {
      signer: createCryptoProvider(this.signer.engine).signerFromPrivateKey(this.signer.algorithm, this.signer.privateKeyPem),
      serializedIdentity: this.signer.serializedIdentity,
    };
    return this.#identity;
  }
}
