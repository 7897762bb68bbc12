// The pool's worker entry: one handler that dispatches on the task kind.
// Loaded in each worker thread: compiled, as dist's worker.js; from the
// sources, through worker-entry.mjs (which compiles this TypeScript with
// tsx). Keeps, per worker, the built contexts and with them each channel's
// creator LRU, so a steady stream costs one signature check
// per envelope.
//
// Results that carry bytes hand their buffers over (transfer) rather than
// clone them: the bytes were produced here and are not needed here again.

import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { OrdererError } from '../errors.js';
import { buildBlockEntry, hashBlockData, hashData, marshalBlock, signBlockMetadata } from './blockTasks.js';
import { unpackStrings } from './packedStrings.js';
import { ContextCache, type BuiltContext } from './contextCache.js';
import { exclusiveBytes, packBytes, packedTransferList, unpackBytes } from './packedBytes.js';
import { packedVerdictsTransferList, packVerdicts } from './packedVerdicts.js';
import type { ContextRef, WorkerResult, WorkerTask } from './protocol.js';
import { lowerThisThreadPriority, nameThisThread, POOL_THREAD_NAME } from './thisThread.js';

nameThisThread(POOL_THREAD_NAME);
// The pool passes its workerNiceIncrement (pool.ts): workers that share cores with the main thread yield to it.
const niceIncrement = (Piscina.workerData as { niceIncrement?: number } | undefined)?.niceIncrement ?? 0;
if (niceIncrement > 0) lowerThisThreadPriority(niceIncrement);

const contexts = new ContextCache();

/** A result with the buffers Piscina should transfer back instead of cloning. */
interface TransferringResult {
  readonly [key: symbol]: unknown;
}

function transferring(result: WorkerResult, buffers: ArrayBuffer[]): TransferringResult {
  // Piscina only transfers results that went through move() (it marks them).
  return Piscina.move({ [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: result } as unknown as Parameters<
    typeof Piscina.move
  >[0]) as unknown as TransferringResult;
}

/** `result` with its bytes handed over: `bytes` must be `result.bytes`, spanning its whole buffer. */
function transferringBytes(result: WorkerResult & { bytes: Uint8Array }): TransferringResult {
  assert.ok(result.bytes.byteOffset === 0 && result.bytes.byteLength === result.bytes.buffer.byteLength);
  return transferring(result, [result.bytes.buffer as ArrayBuffer]);
}

function resolveAs<K extends BuiltContext['kind']>(ref: ContextRef, kind: K): Extract<BuiltContext, { kind: K }> | undefined {
  const built = contexts.resolve(ref);
  if (built === undefined) return undefined;
  assert.equal(built.kind, kind, `context ${ref.id} is a ${built.kind} context, the task needs ${kind}`);
  return built as Extract<BuiltContext, { kind: K }>;
}

export default function handleTask(task: WorkerTask): WorkerResult | TransferringResult {
  try {
    return runTask(task);
  } catch (error) {
    // Operating errors go back as data so their code survives the thread
    // boundary; anything else is a bug and rejects the task as it is.
    if (error instanceof OrdererError) return { kind: 'taskFailed', name: error.name, code: error.code, message: error.message };
    throw error;
  }
}

function runTask(task: WorkerTask): WorkerResult | TransferringResult {
  switch (task.kind) {
    case 'loadContext': {
      assert.ok(contexts.resolve(task.context) !== undefined);
      return { kind: 'contextLoaded', contextId: task.context.id, heldBy: threadId };
    }
    case 'verifyBatch': {
      const built = resolveAs(task.context, 'verification');
      if (built === undefined) return { kind: 'contextMissing', contextId: task.context.id };
      const verdicts = packVerdicts(built.context.verifyAll(unpackBytes(task.envelopes), new Date(task.nowMs)));
      return transferring({ kind: 'verdicts', verdicts, heldBy: threadId }, packedVerdictsTransferList(verdicts));
    }
    case 'dataHash':
      return { kind: 'dataHash', dataHash: exclusiveBytes(hashData(task.engine, task.hashAlgorithm, unpackBytes(task.data))) };
    case 'hashBlock': {
      // Two 32-byte digests: cloning them is cheaper than a transfer.
      const hashes = hashBlockData(task.engine, task.hashAlgorithm, task.number, task.previousHash, unpackBytes(task.data));
      return { kind: 'blockHashes', headerHash: exclusiveBytes(hashes.headerHash), dataHash: exclusiveBytes(hashes.dataHash) };
    }
    case 'blockEntry': {
      const start = { number: task.number, previousHash: task.previousHash };
      const built = buildBlockEntry(task.engine, task.hashAlgorithm, start, unpackBytes(task.data), unpackStrings(task.txIds));
      const entry = exclusiveBytes(built.entry);
      return transferring({ kind: 'blockEntry', entry, dataHash: exclusiveBytes(built.dataHash) }, [entry.buffer as ArrayBuffer]);
    }
    case 'marshalBlock':
      return transferringBytes({ kind: 'blockBytes', bytes: exclusiveBytes(marshalBlock(task.header, unpackBytes(task.data), unpackBytes(task.metadata))) });
    case 'signBlocks': {
      const built = resolveAs(task.context, 'signer');
      if (built === undefined) return { kind: 'contextMissing', contextId: task.context.id };
      const blocks = task.blocks.map((item) => {
        const standIn = { header: item.header, data: unpackBytes(item.data), metadata: unpackBytes(item.metadata) };
        const signed = signBlockMetadata(built.identity, standIn, item.lastConfigBlockNumber, item.consenterMetadata);
        return { metadata: packBytes(signed.metadata), lastConfigBlockNumber: signed.lastConfigBlockNumber };
      });
      return transferring(
        { kind: 'signedMetadata', blocks, heldBy: threadId },
        blocks.flatMap((b) => packedTransferList(b.metadata)),
      );
    }
  }
}
