// The pool's front: option validation, bounds, lifecycle (clean shutdown, no
// handles left behind), overload, context bookkeeping, and both ways a batch
// can travel (transferred or cloned) giving the same verdicts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchTooLargeError,
  PoolClosedError,
  PoolOptionsError,
  PoolOverloadedError,
  TASKS_PER_THREAD_MAX,
  UnknownContextError,
  WorkerPool,
  fillPoolOptions,
} from '../../src/workers/index.js';
import fs from 'node:fs';
import os from 'node:os';
import { WORKER_CONTEXTS_MAX } from '../../src/workers/contextCache.js';
import { exclusiveBytes, packBytes, unpackBytes } from '../../src/workers/packedBytes.js';
import { CHANNEL, flipLastByte, signedEnvelope, testChannel } from './fixtures.js';

const channel = testChannel('ecdsa-p256');
const alice = channel.org1.issueMember('Alice');
const contextInput = { channelId: CHANNEL, engine: 'native', signatureAlgorithm: 'ecdsa-p256', organizations: channel.organizations } as const;

/** Handles of kinds a pool creates (threads, message ports), as node reports them. */
function poolHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r === 'MessagePort' || r === 'Worker' || r === 'WorkerThread')
    .sort();
}

describe('pool options', () => {
  it('defaults to one thread per available core, all kept warm, with bounded queue and batches', () => {
    const filled = fillPoolOptions();
    expect(filled.maxThreads).toBe(os.availableParallelism());
    expect(filled.minThreads).toBe(filled.maxThreads);
    expect(filled.queueTasksMax).toBe(filled.maxThreads * 64);
    expect(filled).toMatchObject({ batchEntriesMax: 4096, batchBytesMax: 64 * 1024 * 1024, batchTransfer: 'transfer' });
  });

  it.each([
    [{ maxThreads: 0 }, 'options.maxThreads must be a positive integer (at most 256), got 0'],
    [{ maxThreads: 1.5 }, 'options.maxThreads must be a positive integer (at most 256), got 1.5'],
    [{ maxThreads: 2, minThreads: 3 }, 'options.minThreads must be an integer >= 0 (at most 2), got 3'],
    [{ queueTasksMax: -1 }, 'options.queueTasksMax must be a positive integer (at most 1000000), got -1'],
    [{ batchEntriesMax: Number.NaN }, 'options.batchEntriesMax must be a positive integer (at most 1048576), got NaN'],
    [{ batchTransfer: 'share' as never }, "options.batchTransfer must be 'transfer' or 'clone', got share"],
    [{ workerNiceIncrement: 20 }, 'options.workerNiceIncrement must be an integer >= 0 (at most 19), got 20'],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => new WorkerPool(options)).toThrow(PoolOptionsError);
    expect(() => fillPoolOptions(options)).toThrow(message);
  });

  it('refuses a context with a bad engine, algorithm or channel id before any worker sees it', async () => {
    const pool = new WorkerPool({ maxThreads: 1 });
    try {
      await expect(pool.registerVerificationContext({ ...contextInput, engine: 'openssl' as never })).rejects.toThrow(
        "context.engine must be 'native' or 'native-free', got openssl",
      );
      await expect(pool.registerVerificationContext({ ...contextInput, signatureAlgorithm: 'rsa' as never })).rejects.toThrow(
        "context.signatureAlgorithm must be 'ecdsa-p256' or 'sm2', got rsa",
      );
      await expect(pool.registerVerificationContext({ ...contextInput, channelId: '' })).rejects.toThrow('context.channelId must be a non-empty string');
      await expect(pool.registerVerificationContext({ ...contextInput, identityCacheEntriesMax: 0 })).rejects.toThrow(
        'context.identityCacheEntriesMax must be a positive integer, got 0',
      );
      await expect(
        pool.registerSigner({ engine: 'native', algorithm: 'ed25519' as never, privateKeyPem: '', serializedIdentity: new Uint8Array(0) }),
      ).rejects.toThrow("signer.algorithm must be 'ecdsa-p256' or 'sm2', got ed25519");
      expect(pool.stats.completedTasks).toBe(0);
    } finally {
      await pool.close();
    }
  });
});

describe('pool lifecycle and bounds', () => {
  it('closes cleanly: running work finishes, no thread or port is left, later calls are refused', async () => {
    const before = poolHandles();
    const pool = new WorkerPool({ maxThreads: 2 });
    const handle = await pool.registerVerificationContext(contextInput);
    // Counted from the pool, not from the process' active resources: Piscina unrefs a thread while it is idle.
    expect(pool.stats.threads).toBe(2);
    const running = pool.verifyBatch(handle, [signedEnvelope(alice, 'tx-1')]);
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    await expect(running).resolves.toMatchObject([{ ok: true, txId: 'tx-1' }]);
    await closing;
    expect(pool.stats.threads).toBe(0);
    // Nothing of the pool keeps the process alive (a port of an earlier test may still go away meanwhile).
    expect(poolHandles().length).toBeLessThanOrEqual(before.length);
    await expect(pool.verifyBatch(handle, [signedEnvelope(alice, 'tx-2')])).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.hashBlock({ engine: 'native', hashAlgorithm: 'sha256', number: 1, previousHash: new Uint8Array(0), data: [] })).rejects.toThrow(
      'worker pool is closed: cannot run hashBlock',
    );
    await pool.close(); // idempotent
  });

  it('refuses work beyond its queue bound with PoolOverloadedError, and still serves what it accepted', async () => {
    const pool = new WorkerPool({ maxThreads: 1, queueTasksMax: 1 });
    try {
      const handle = await pool.registerVerificationContext(contextInput);
      const envelope = signedEnvelope(alice, 'tx-q');
      const settled = await Promise.allSettled(Array.from({ length: 10 }, () => pool.verifyBatch(handle, [envelope])));
      const refused = settled.filter((s) => s.status === 'rejected');
      // One thread holding TASKS_PER_THREAD_MAX tasks plus one queued: the rest of the ten are refused.
      expect(refused.length).toBeGreaterThanOrEqual(10 - (TASKS_PER_THREAD_MAX + 1));
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(PoolOverloadedError);
      for (const s of settled.filter((s) => s.status === 'fulfilled')) expect(s.value).toMatchObject([{ ok: true }]);
    } finally {
      await pool.close();
    }
  });

  it('refuses batches over batchEntriesMax or batchBytesMax, and answers an empty batch without a task', async () => {
    const pool = new WorkerPool({ maxThreads: 1, batchEntriesMax: 2, batchBytesMax: 4096 });
    try {
      const handle = await pool.registerVerificationContext(contextInput);
      const completed = pool.stats.completedTasks;
      expect(await pool.verifyBatch(handle, [])).toEqual([]);
      expect(pool.stats.completedTasks).toBe(completed);
      const envelope = signedEnvelope(alice, 'tx-b');
      await expect(pool.verifyBatch(handle, [envelope, envelope, envelope])).rejects.toThrow(new BatchTooLargeError('verifyBatch', 'entries', 3, 2));
      await expect(
        pool.marshalBlock({ header: { number: 1, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) }, data: [new Uint8Array(5000)], metadata: [] }),
      ).rejects.toThrow('marshalBlock: 5000 bytes, more than 4096');
    } finally {
      await pool.close();
    }
  });

  it('a programmer error inside a worker rejects that task only; the pool keeps serving', async () => {
    const pool = new WorkerPool({ maxThreads: 1 });
    try {
      const orderer = channel.org2.issueMember('orderer0');
      const signer = await pool.registerSigner({
        engine: 'native',
        algorithm: 'ecdsa-p256',
        privateKeyPem: orderer.signer.exportPrivateKeyPem(),
        serializedIdentity: new Uint8Array(4),
      });
      const block = {
        header: { number: 3, previousHash: new Uint8Array(32), dataHash: new Uint8Array(32) },
        data: [signedEnvelope(alice, 'tx-w')],
        metadata: Array.from({ length: 5 }, () => new Uint8Array(0)),
      };
      // The block writer asserts blocks come in order: a last config after this block is a caller bug.
      await expect(pool.signBlock(signer, block, { lastConfigBlockNumber: 9, consenterMetadata: undefined })).rejects.toThrow(
        'blocks must be written in order',
      );
      const handle = await pool.registerVerificationContext(contextInput);
      expect(await pool.verifyBatch(handle, [signedEnvelope(alice, 'tx-after')])).toMatchObject([{ ok: true, txId: 'tx-after' }]);
    } finally {
      await pool.close();
    }
  });

  it('refuses a released or foreign context handle', async () => {
    const pool = new WorkerPool({ maxThreads: 1 });
    try {
      const handle = await pool.registerVerificationContext(contextInput);
      pool.releaseContext(handle);
      await expect(pool.verifyBatch(handle, [signedEnvelope(alice, 'tx-r')])).rejects.toThrow(new UnknownContextError(handle.id));
      expect(() => pool.releaseContext(handle)).toThrow(UnknownContextError);
    } finally {
      await pool.close();
    }
  });
});

/** Nice values of this process's threads (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesized command name; nice is field 19 overall, the 17th after it.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('contexts', () => {
  it('with the spec riding along until every worker holds the context, no task is ever re-sent', async () => {
    const pool = new WorkerPool({ maxThreads: 2 });
    try {
      const handle = await pool.registerVerificationContext(contextInput);
      const envelope = signedEnvelope(alice, 'tx-once');
      for (let round = 0; round < 5; round++) {
        const verdicts = await Promise.all(Array.from({ length: 8 }, () => pool.verifyBatch(handle, [envelope])));
        for (const v of verdicts) expect(v).toMatchObject([{ ok: true, txId: 'tx-once' }]);
      }
      expect(pool.stats.contextResends).toBe(0);
      expect(pool.stats.completedTasks).toBe(41);
    } finally {
      await pool.close();
    }
  });

  it('a worker that evicted a context (over WORKER_CONTEXTS_MAX) gets the task again with the spec', async () => {
    const pool = new WorkerPool({ maxThreads: 1 });
    try {
      const first = await pool.registerVerificationContext(contextInput);
      const org = { mspId: 'Org2MSP', rootCerts: [channel.org2.root.certPem], intermediateCerts: [] };
      for (let i = 0; i < WORKER_CONTEXTS_MAX; i++) {
        await pool.registerVerificationContext({ ...contextInput, channelId: `ch-${i}`, organizations: [org] });
      }
      expect(pool.stats.contextResends).toBe(0);
      expect(await pool.verifyBatch(first, [signedEnvelope(alice, 'tx-evicted')])).toMatchObject([{ ok: true, txId: 'tx-evicted' }]);
      expect(pool.stats.contextResends).toBe(1);
    } finally {
      await pool.close();
    }
  });
});

describe('worker priority', () => {
  it("workerNiceIncrement lowers the workers' priority, not the main thread's", async () => {
    const mainNice = os.getPriority();
    const pool = new WorkerPool({ maxThreads: 2, workerNiceIncrement: 7 });
    try {
      const handle = await pool.registerVerificationContext(contextInput);
      await Promise.all([1, 2, 3, 4].map((i) => pool.verifyBatch(handle, [signedEnvelope(alice, `tx-n${i}`)])));
      expect(os.getPriority()).toBe(mainNice);
      if (process.platform === 'linux') {
        // Both workers (they ran tasks, so they applied it) sit at main + 7.
        expect(threadNiceValues().filter((n) => n === Math.min(mainNice + 7, 19)).length).toBeGreaterThanOrEqual(2);
      }
    } finally {
      await pool.close();
    }
  });
});

describe('batch transfer', () => {
  it("transferred and cloned batches give the same verdicts, and the caller's envelopes stay intact", async () => {
    const envelopes = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? flipLastByte(signedEnvelope(alice, `tx-${i}`)) : signedEnvelope(alice, `tx-${i}`)));
    const copies = envelopes.map((e) => Uint8Array.from(e));
    const results = [];
    for (const batchTransfer of ['transfer', 'clone'] as const) {
      const pool = new WorkerPool({ maxThreads: 2, batchTransfer });
      try {
        const handle = await pool.registerVerificationContext(contextInput);
        results.push(await pool.verifyBatch(handle, envelopes));
      } finally {
        await pool.close();
      }
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]!.filter((v) => v.ok)).toHaveLength(8);
    expect(envelopes).toEqual(copies);
  });

  it('packs any entries into one buffer and unpacks views equal to them', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (entries) => {
        const packed = packBytes(entries);
        expect(packed.buffer.byteLength).toBe(entries.reduce((n, e) => n + e.length, 0));
        const views = unpackBytes(packed);
        expect(views.map((v) => [...v])).toEqual(entries.map((e) => [...e]));
        for (const v of views) expect(v.buffer).toBe(packed.buffer);
      }),
    );
  });

  it('exclusiveBytes copies only a view that does not span its whole buffer', () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(exclusiveBytes(whole)).toBe(whole);
    const part = whole.subarray(1);
    const owned = exclusiveBytes(part);
    expect(owned).not.toBe(part);
    expect([...owned]).toEqual([2, 3]);
    expect(owned.buffer.byteLength).toBe(2);
  });
});
