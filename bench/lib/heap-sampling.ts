// Bytes allocated on the JS heap per operation, estimated with V8's sampling
// heap profiler (through node:inspector). With includeObjectsCollectedBy*GC the
// profile keeps samples of objects that died young, so the sum of the
// profile's self sizes estimates everything allocated while sampling, not just
// what survived. It counts JS heap objects only: the backing stores of
// ArrayBuffers (e.g. entry payloads) live outside the heap and are not in it.

import { Session } from 'node:inspector/promises';

interface ProfileNode {
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

function totalSelfSize(node: ProfileNode): number {
  let sum = node.selfSize;
  for (const child of node.children) sum += totalSelfSize(child);
  return sum;
}

/** Runs `operation` `count` times under the sampling profiler and returns the estimated heap bytes per call. */
export async function heapBytesPerOp(operation: () => void, count: number, samplingIntervalBytes = 1024): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: samplingIntervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (let i = 0; i < count; i++) operation();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    return totalSelfSize(profile.head as ProfileNode) / count;
  } finally {
    session.disconnect();
  }
}
