// The worker pool's public front: a small typed API over a private Piscina.
// The main thread (which keeps Raft's clock) hands every signature check and
// every block hash/marshal/sign to the pool in batches; nothing CPU-heavy
// runs here beyond packing a batch into one buffer.
//
// Contexts: a channel's verification rules and the orderer's signing key are
// registered once (checked in a worker at registration) and referred to by id;
// each worker builds a context the first time it needs one (see protocol.ts).

import assert from 'node:assert/strict';
import { Piscina } from 'piscina';
import { encodeBlock, type Block } from '../block/index.js';
import type { Engine, HashAlgorithm } from '../crypto/index.js';
import { signerSpecOf, verificationSpecOf, type SignerInput, type VerificationContextInput } from './contextSpecs.js';
import { BatchTooLargeError, PoolClosedError, PoolOverloadedError, UnknownContextError, WorkerTaskError } from './errors.js';
import { fillPoolOptions, type FilledPoolOptions, type WorkerPoolOptions } from './options.js';
import { packBytes, packedTransferList, totalBytes, unpackBytes } from './packedBytes.js';
import { signingStandIn, type BuiltBlockEntry, type SignedMetadata } from './blockTasks.js';
import { packStrings } from './packedStrings.js';
import { unpackVerdicts } from './packedVerdicts.js';
import { workerExecArgv } from './workerExecArgv.js';
import type {
  ContextId,
  ContextRef,
  ContextSpec,
  EnvelopeVerdict,
  PackedBytes,
  TaskKind,
  WireBlockHeader,
  WireEtcdraftMetadata,
  WorkerResult,
  WorkerTask,
  WorkerThreadId,
} from './protocol.js';

/** Refers to a registered context; valid until released or the pool closes. */
export interface ContextHandle<K extends ContextSpec['kind'] = ContextSpec['kind']> {
  readonly id: ContextId;
  readonly kind: K;
}

export interface HashBlockInput {
  readonly engine: Engine;
  readonly hashAlgorithm: HashAlgorithm;
  readonly number: number;
  readonly previousHash: Uint8Array;
  /** Marshaled envelopes of the block. */
  readonly data: readonly Uint8Array[];
}

export interface BlockEntryInput extends HashBlockInput {
  /** Tx id of each envelope of `data` ('' for none), carried in the entry ahead of the block. */
  readonly txIds: readonly string[];
}

export interface SignBlockInput {
  readonly lastConfigBlockNumber: number;
  readonly consenterMetadata: WireEtcdraftMetadata | undefined;
}

/** One block of signBlocksMetadata and what its metadata says. */
export interface BlockToSign extends SignBlockInput {
  readonly block: Block;
}

export interface PoolStats {
  readonly threads: number;
  readonly queuedTasks: number;
  readonly completedTasks: number;
  /** Piscina's utilization: fraction of the pool's capacity spent running tasks since start. */
  readonly utilization: number;
  /** Tasks re-sent with their context's spec because the worker lacked it (a replaced thread, an evicted context). */
  readonly contextResends: number;
}

interface RegisteredContext {
  readonly spec: ContextSpec;
  /**
   * Worker threads known to hold the context. The spec rides along with every
   * task until this has one entry per thread.
   * Invariant: size <= maxThreads * HELD_BY_PER_THREAD_MAX.
   */
  readonly heldBy: Set<WorkerThreadId>;
}

/** Dead threads' ids are never removed one by one; past this many the set starts over. */
const HELD_BY_PER_THREAD_MAX = 4;

enum PoolState {
  Open,
  Closing,
  Closed,
}

/**
 * The threads' entry: compiled (this file is dist's pool.js) they load the compiled worker.js beside it;
 * from sources, worker-entry.mjs registers tsx in the thread and imports worker.ts.
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.js') ? './worker.js' : './worker-entry.mjs', import.meta.url).href;

/**
 * Tasks a thread holds at once: one running, one waiting in its port. With
 * `queueTasksMax` this bounds accepted work at maxThreads x this + queueTasksMax.
 */
export const TASKS_PER_THREAD_MAX = 2;

/**
 * The header with its hashes in buffers of their own. A decoded block's
 * hashes are views into the block's (or its Raft entry's) bytes, and a
 * structured clone copies a view's WHOLE ArrayBuffer: without this, each
 * block task sent the block along a second time. Uint8Array's own slice
 * copies; a Node Buffer's (the hashes of a block decoded from a received
 * Raft message are Buffer views) is another view of the same memory.
 */
export function wireHeader(header: WireBlockHeader): WireBlockHeader {
  return { number: header.number, previousHash: ownCopy(header.previousHash), dataHash: ownCopy(header.dataHash) };
}

function ownCopy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/** Piscina's options for a pool, its workers started with `execArgv` less the tsx preloads (workerExecArgv.ts). */
export function piscinaOptionsOf(options: FilledPoolOptions, execArgv: readonly string[]): ConstructorParameters<typeof Piscina>[0] & { execArgv: string[] } {
  return {
    filename: WORKER_ENTRY,
    // The entry registers tsx itself; an inherited tsx preload only added a hooks thread and its heap per worker.
    execArgv: workerExecArgv(execArgv),
    maxThreads: options.maxThreads,
    minThreads: options.minThreads,
    maxQueue: options.queueTasksMax,
    // Tasks are CPU-bound and synchronous, so a thread still runs one at a
    // time; letting Piscina hand it a second keeps the next task queued in the
    // thread's port, so the thread does not idle while the main thread (busy
    // with Raft) gets round to dispatching. Measured with bench:pool on 2 cores:
    // batch 64 went from 82% to 87-88% of 2 x single-core, batch 256 from 88% to 91%.
    concurrentTasksPerWorker: TASKS_PER_THREAD_MAX,
    closeTimeout: options.closeTimeoutMs,
    // Applied by each worker itself (worker.ts → thisThread.ts): Piscina's own niceIncrement needs an optional native addon.
    workerData: { niceIncrement: options.workerNiceIncrement },
  };
}

export class WorkerPool {
  readonly options: FilledPoolOptions;
  readonly #piscina: Piscina<WorkerTask, WorkerResult>;
  /** Every context registered and not released. Invariant: ids < #nextContextId. */
  readonly #contexts = new Map<ContextId, RegisteredContext>();
  #nextContextId: ContextId = 1;
  #state = PoolState.Open;
  /** Monotonic: tasks re-run with the context spec attached. */
  #contextResends = 0;
  /** Set by the first close(). Invariant: undefined exactly while #state is Open. */
  #closing: Promise<void> | undefined;

  /** Throws PoolOptionsError naming the bad option. Threads start at once (minThreads). */
  constructor(options: WorkerPoolOptions = {}) {
    this.options = fillPoolOptions(options);
    this.#piscina = new Piscina(piscinaOptionsOf(this.options, process.execArgv));
  }

  get stats(): PoolStats {
    return {
      threads: this.#piscina.threads.length,
      queuedTasks: this.#piscina.queueSize,
      completedTasks: this.#piscina.completed,
      utilization: this.#piscina.utilization,
      contextResends: this.#contextResends,
    };
  }

  /**
   * Registers a channel's verification rules. The CA certificates are checked
   * in a worker; a bad one rejects with WorkerTaskError (code IDENTITY_BAD_MSP_CONFIG).
   */
  async registerVerificationContext(input: VerificationContextInput): Promise<ContextHandle<'verification'>> {
    return this.#register(verificationSpecOf(input));
  }

  /** Registers the orderer's block-signing key; an unusable key rejects with WorkerTaskError. */
  async registerSigner(input: SignerInput): Promise<ContextHandle<'signer'>> {
    return this.#register(signerSpecOf(input));
  }

  /** Forgets a context; workers drop it from their bounded caches in time. */
  releaseContext(handle: ContextHandle): void {
    if (!this.#contexts.delete(handle.id)) throw new UnknownContextError(handle.id);
  }

  /**
   * Verdicts on `envelopes` (marshaled Envelopes), in order. The bytes are
   * copied into one buffer; the caller keeps its arrays. `nowMs` is the
   * instant creator certificates must be valid at (default: now).
   */
  async verifyBatch(handle: ContextHandle<'verification'>, envelopes: readonly Uint8Array[], nowMs: number = Date.now()): Promise<readonly EnvelopeVerdict[]> {
    this.#checkBatch('verifyBatch', envelopes);
    assert.ok(Number.isFinite(nowMs), 'verifyBatch: nowMs must be a finite number');
    if (envelopes.length === 0) return [];
    const result = await this.#runWithContext(handle, 'verification', (context) => {
      const packed = packBytes(envelopes);
      return { task: { kind: 'verifyBatch', context, envelopes: packed, nowMs }, transfer: this.#transferListOf(packed) };
    });
    assert.ok(result.kind === 'verdicts' && result.verdicts.count === envelopes.length, 'verifyBatch: one verdict per envelope');
    return unpackVerdicts(result.verdicts);
  }

  /** Fabric's data hash of a block's marshaled envelopes (what BlockCreator.createNextBlock accepts precomputed). */
  async dataHash(engine: Engine, hashAlgorithm: HashAlgorithm, data: readonly Uint8Array[]): Promise<Uint8Array> {
    this.#checkBatch('dataHash', data);
    const packed = packBytes(data);
    const result = await this.#run({ kind: 'dataHash', engine, hashAlgorithm, data: packed }, this.#transferListOf(packed));
    assert.ok(result.kind === 'dataHash');
    return result.dataHash;
  }

  /** Data hash of `input.data` and the header hash of {number, previousHash, dataHash}, as Fabric. */
  async hashBlock(input: HashBlockInput): Promise<{ headerHash: Uint8Array; dataHash: Uint8Array }> {
    this.#checkBatch('hashBlock', input.data);
    const data = packBytes(input.data);
    const task: WorkerTask = {
      kind: 'hashBlock',
      engine: input.engine,
      hashAlgorithm: input.hashAlgorithm,
      number: input.number,
      previousHash: input.previousHash.slice(),
      data,
    };
    const result = await this.#run(task, this.#transferListOf(data));
    assert.ok(result.kind === 'blockHashes');
    return { headerHash: result.headerHash, dataHash: result.dataHash };
  }

  /**
   * The leader's next block as the Raft entry it proposes (tx ids ahead of the
   * marshaled block, block/blockEntry.ts) and its data hash: the envelopes are
   * copied once into the task, hashed and marshaled in the worker, and the
   * entry comes back as a buffer the caller owns (transferred, not copied).
   */
  async blockEntry(input: BlockEntryInput): Promise<BuiltBlockEntry> {
    this.#checkBatch('blockEntry', input.data);
    assert.equal(input.txIds.length, input.data.length, 'blockEntry: one tx id per envelope');
    const data = packBytes(input.data);
    const task: WorkerTask = {
      kind: 'blockEntry',
      engine: input.engine,
      hashAlgorithm: input.hashAlgorithm,
      number: input.number,
      previousHash: input.previousHash.slice(),
      data,
      txIds: packStrings(input.txIds),
    };
    const result = await this.#run(task, this.#transferListOf(data));
    assert.ok(result.kind === 'blockEntry');
    return { entry: result.entry, dataHash: result.dataHash };
  }

  /** The marshaled common.Block (a buffer the caller owns). */
  async marshalBlock(block: Block): Promise<Uint8Array> {
    this.#checkBatch('marshalBlock', block.data);
    const data = packBytes(block.data);
    const metadata = packBytes(block.metadata);
    const result = await this.#run({ kind: 'marshalBlock', header: wireHeader(block.header), data, metadata }, [
      ...this.#transferListOf(data),
      ...this.#transferListOf(metadata),
    ]);
    assert.ok(result.kind === 'blockBytes');
    return result.bytes;
  }

  /**
   * Fills LAST_CONFIG and SIGNATURES as Fabric's BlockWriter does, signs with
   * the registered key, and marshals. Returns the bytes to write to the ledger
   * and the last config block number after this block.
   */
  async signBlock(handle: ContextHandle<'signer'>, block: Block, input: SignBlockInput): Promise<{ bytes: Uint8Array; lastConfigBlockNumber: number }> {
    const signed = await this.signBlockMetadata(handle, block, input);
    // The one copy of the block's data on this path: straight into the marshaled block.
    const bytes = encodeBlock({ header: block.header, data: block.data, metadata: signed.metadata });
    return { bytes, lastConfigBlockNumber: signed.lastConfigBlockNumber };
  }

  /**
   * signBlock without the marshaling: the block's metadata entries with
   * LAST_CONFIG and SIGNATURES filled, for a caller that has the block's
   * bytes before its metadata already (a block from a Raft entry).
   */
  async signBlockMetadata(handle: ContextHandle<'signer'>, block: Block, input: SignBlockInput): Promise<SignedMetadata> {
    const [signed] = await this.signBlocksMetadata(handle, [{ block, ...input }]);
    return signed!;
  }

  /**
   * signBlockMetadata of several blocks in ONE task (one trip to a worker and
   * back): one result per block, in order, each signature over its own
   * block's header and metadata. A follower catching up applies many blocks
   * per Ready; a task per block cost more on the main thread than the signing.
   */
  async signBlocksMetadata(handle: ContextHandle<'signer'>, blocks: readonly BlockToSign[]): Promise<SignedMetadata[]> {
    for (const { block } of blocks) this.#checkBatch('signBlock', block.data);
    if (blocks.length === 0) return [];
    if (blocks.length > this.options.batchEntriesMax) throw new BatchTooLargeError('signBlocks', 'entries', blocks.length, this.options.batchEntriesMax);
    const result = await this.#runWithContext(handle, 'signer', (context) => {
      // The signature covers header and metadata only: the data (a block's bulk) never crosses to the worker.
      const transfer: ArrayBuffer[] = [];
      const wire = blocks.map(({ block, lastConfigBlockNumber, consenterMetadata }) => {
        const standIn = signingStandIn(block);
        const data = packBytes(standIn.data);
        const metadata = packBytes(standIn.metadata);
        transfer.push(...this.#transferListOf(data), ...this.#transferListOf(metadata));
        return { header: wireHeader(block.header), data, metadata, lastConfigBlockNumber, consenterMetadata };
      });
      return { task: { kind: 'signBlocks', context, blocks: wire }, transfer };
    });
    assert.ok(result.kind === 'signedMetadata' && result.blocks.length === blocks.length, 'signBlocks: one signed metadata per block');
    return result.blocks.map((signed) => ({ metadata: unpackBytes(signed.metadata), lastConfigBlockNumber: signed.lastConfigBlockNumber }));
  }

  /**
   * Stops accepting tasks, lets running ones finish (up to closeTimeoutMs) and
   * ends every thread. Every call returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#state = PoolState.Closing;
      this.#contexts.clear();
      this.#closing = this.#piscina.close().then(() => {
        this.#state = PoolState.Closed;
      });
    }
    return this.#closing;
  }

  async #register<K extends ContextSpec['kind']>(spec: ContextSpec & { kind: K }): Promise<ContextHandle<K>> {
    this.#checkOpen(`register ${spec.kind} context`);
    const id = this.#nextContextId++;
    assert.ok(Number.isSafeInteger(id));
    const loaded = await this.#run({ kind: 'loadContext', context: { id, spec } }, []);
    assert.ok(loaded.kind === 'contextLoaded');
    this.#contexts.set(id, { spec, heldBy: new Set([loaded.heldBy]) });
    return { id, kind: spec.kind };
  }

  /**
   * Runs a context task, attaching the spec until every worker holds the
   * context; a worker that lacks it anyway gets the task again with the spec.
   */
  async #runWithContext(
    handle: ContextHandle,
    kind: ContextSpec['kind'],
    build: (context: ContextRef) => { task: WorkerTask; transfer: ArrayBuffer[] },
  ): Promise<WorkerResult & { heldBy: WorkerThreadId }> {
    this.#checkOpen(kind === 'verification' ? 'verifyBatch' : 'signBlock');
    const context = this.#contexts.get(handle.id);
    if (context === undefined) throw new UnknownContextError(handle.id);
    assert.equal(context.spec.kind, kind, `context ${handle.id} is a ${context.spec.kind} context, not ${kind}`);
    const everyWorkerHoldsIt = context.heldBy.size >= this.options.maxThreads;
    // Built per attempt: a transferred batch is gone from this thread after the first run.
    const first = build(everyWorkerHoldsIt ? { id: handle.id } : { id: handle.id, spec: context.spec });
    let result = await this.#run(first.task, first.transfer);
    if (result.kind === 'contextMissing') {
      this.#contextResends++;
      const retry = build({ id: handle.id, spec: context.spec });
      result = await this.#run(retry.task, retry.transfer);
    }
    assert.ok('heldBy' in result, `a ${first.task.kind} result names the worker holding the context`);
    if (context.heldBy.size >= this.options.maxThreads * HELD_BY_PER_THREAD_MAX) context.heldBy.clear();
    context.heldBy.add(result.heldBy);
    return result;
  }

  async #run(task: WorkerTask, transferList: ArrayBuffer[]): Promise<WorkerResult> {
    this.#checkOpen(task.kind);
    let result: WorkerResult;
    try {
      result = await this.#piscina.run(task, { transferList });
    } catch (error) {
      // Piscina signals a full queue with a plain Error; everything else from a worker is a bug.
      if (error instanceof Error && error.message === 'Task queue is at limit') throw new PoolOverloadedError(this.options.queueTasksMax, { cause: error });
      throw error;
    }
    if (result.kind === 'taskFailed') throw new WorkerTaskError(result.code, result.name, `${task.kind}: ${result.message}`);
    return result;
  }

  #transferListOf(packed: PackedBytes): ArrayBuffer[] {
    return this.options.batchTransfer === 'transfer' ? packedTransferList(packed) : [];
  }

  #checkOpen(operation: TaskKind | string): void {
    if (this.#state !== PoolState.Open) throw new PoolClosedError(operation);
  }

  #checkBatch(operation: string, entries: readonly Uint8Array[]): void {
    if (entries.length > this.options.batchEntriesMax) throw new BatchTooLargeError(operation, 'entries', entries.length, this.options.batchEntriesMax);
    const bytes = totalBytes(entries);
    if (bytes > this.options.batchBytesMax) throw new BatchTooLargeError(operation, 'bytes', bytes, this.options.batchBytesMax);
  }
}
