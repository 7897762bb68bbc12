import { describe, expect, it } from 'vitest';
import { breakdown, componentOf, NODE_MACHINERY, UNATTRIBUTED } from '../../scripts/perf/components.js';
import { PerfScriptError, readStacks } from '../../scripts/perf/stacks.js';

const MAP = '(/tmp/perf-100.map)';
const NODE = '(/usr/bin/node)';
const KERNEL = '([kernel.kallsyms])';

/** `perf script -F comm,tid,ip,sym,dso` output: samples of the main thread (100) and of a pool thread (101). */
const PERF_SCRIPT = [
  'node   100',
  `\tffffffff81000000 tcp_sendmsg+0x1f ${KERNEL}`,
  `\t55d0c0001000 node::crypto::TLSWrap::DoWrite+0x20 ${NODE}`,
  `\t7f0000001000 JS:*writeAll file:///w/dist/src/server/serverCall.js:62:5 ${MAP}`,
  '',
  'node   100',
  `\t55d0c0002000 Builtins_FindOrderedHashMapEntry+0x10 ${NODE}`,
  `\t7f0000002000 JS:*claim file:///w/dist/src/chain/submit/txTracker.js:73:10 ${MAP}`,
  `\t7f0000003000 JS:*#pump file:///w/dist/src/chain/order/leaderPipeline.js:189:8 ${MAP}`,
  '',
  'node   100',
  `\t7f0000004000 JS:*readableAddChunkPushByteMode node:internal/streams/readable:463:38 ${MAP}`,
  `\t7f0000005000 JS:*#onChunk file:///w/dist/src/server/serverCall.js:104:11 ${MAP}`,
  '',
  'node   100',
  `\t7f0000006000 JS:*processImmediate node:internal/timers:438:28 ${MAP}`,
  `\t55d0c0003000 uv_run+0x99 ${NODE}`,
  '',
  'node   100',
  `\t55d0c0004000 uv__io_poll+0x12 ${NODE}`,
  '',
  'orderer-pool   101',
  `\t55d0c0005000 __ecp_nistz256_mul_montx+0x5 ${NODE}`,
  '',
].join('\n');

describe('perf-breakdown', () => {
  it('reads the samples of one thread, leaf first, without addresses and offsets', () => {
    const stacks = readStacks(PERF_SCRIPT, 100);
    expect(stacks).toHaveLength(5);
    expect(stacks[0]).toEqual([
      `tcp_sendmsg ${KERNEL}`,
      `node::crypto::TLSWrap::DoWrite ${NODE}`,
      `JS:*writeAll file:///w/dist/src/server/serverCall.js:62:5 ${MAP}`,
    ]);
    expect(readStacks(PERF_SCRIPT)).toHaveLength(6);
  });

  it("gives a sample to the leaf-most frame that names a component, node's own JavaScript counting for its caller", () => {
    const [kernel, dedup, intake, nodeOnly, loop] = readStacks(PERF_SCRIPT, 100);
    expect(componentOf(kernel!)).toBe('kernel (TCP, epoll, futex, page faults)');
    expect(componentOf(dedup!)).toBe('duplicate tx-id check (in flight, recent window, ledger index)');
    expect(componentOf(intake!)).toBe('Broadcast intake (framing, routing, submit, answers)');
    expect(componentOf(nodeOnly!)).toBe(NODE_MACHINERY);
    expect(componentOf(loop!)).toBe(UNATTRIBUTED);
  });

  it('shares add up to the samples given, most first', () => {
    const rows = breakdown(readStacks(PERF_SCRIPT, 100));
    expect(rows.reduce((sum, r) => sum + r.samples, 0)).toBe(5);
    expect(rows.reduce((sum, r) => sum + r.share, 0)).toBeCloseTo(1);
    expect(rows.every((r, i) => i === 0 || rows[i - 1]!.samples >= r.samples)).toBe(true);
  });

  it('refuses text that is not perf script output, naming the line', () => {
    expect(() => readStacks('node 100\n\tffff tcp_sendmsg ([kernel.kallsyms])\nnot a header\n')).toThrow(PerfScriptError);
    expect(() => readStacks('\tffff frame (x)\n')).toThrow(/line 1: a frame before any sample header/);
  });
});
