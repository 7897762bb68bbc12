// ChainCompute on the calling thread, with the functions the pool's workers
// run (src/workers: VerificationContext, buildBlockEntry, signBlockMetadata),
// so both give identical verdicts and bytes.

import type { EnvelopeCreator, OrdererIdentity } from '../../block/index.js';
import type { Engine, HashAlgorithm } from '../../crypto/index.js';
import { buildBlockEntry, signBlockMetadata, VerificationContext as WorkerVerificationContext } from '../../workers/index.js';
import type { BlockStart, BlockToSign, BuiltBlockEntry, ChainCompute, EnvelopeVerdict, SignedMetadata, VerificationContext } from './compute.js';

export class InThreadCompute implements ChainCompute {
  /** Built once per channel context (its identity cache lives inside). */
  readonly #contexts = new WeakMap<VerificationContext, WorkerVerificationContext>();

  /** `identity`: this orderer's signing identity. */
  constructor(private readonly identity: OrdererIdentity) {}

  async verifyBatch(context: VerificationContext, envelopes: readonly Uint8Array[]): Promise<readonly EnvelopeVerdict[]> {
    let checker = this.#contexts.get(context);
    if (checker === undefined) {
      checker = new WorkerVerificationContext({
        kind: 'verification',
        channelId: context.channelId,
        engine: context.engine,
        signatureAlgorithm: context.signatureAlgorithm,
        organizations: context.organizations,
        identityCacheEntriesMax: 10_000,
      });
      this.#contexts.set(context, checker);
    }
    return checker.verifyAll(envelopes, new Date());
  }

  async blockEntry(
    engine: Engine,
    algorithm: HashAlgorithm,
    start: BlockStart,
    envelopes: readonly Uint8Array[],
    txIds: readonly string[],
  ): Promise<BuiltBlockEntry> {
    return buildBlockEntry(engine, algorithm, start, envelopes, txIds);
  }

  async signBlocks(blocks: readonly BlockToSign[]): Promise<readonly SignedMetadata[]> {
    return this.signBlocksHere(blocks);
  }

  signBlocksHere(blocks: readonly BlockToSign[]): readonly SignedMetadata[] {
    return blocks.map(({ block, lastConfigBlockNumber, consenterMetadata }) =>
      signBlockMetadata(this.identity, block, lastConfigBlockNumber, consenterMetadata),
    );
  }

  ordererIdentity(): EnvelopeCreator {
    return this.identity;
  }
}
