import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { heapGrowthFlag, ORDERER_HEAP_GROWING_PERCENT, tuneHeapGrowth } from '../../src/cli/heapGrowth.js';

describe('heap growth of an orderer process', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sets the old-generation growing factor when the node command line gives none', () => {
    expect(heapGrowthFlag([])).toBe(`--heap-growing-percent=${ORDERER_HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(['--enable-source-maps', '--max-old-space-size=2048'])).toBe('--heap-growing-percent=300');
  });

  it("leaves an operator's own factor alone, however it is spelled", () => {
    expect(heapGrowthFlag(['--heap-growing-percent=50'])).toBeUndefined();
    expect(heapGrowthFlag(['--heap_growing_percent', '50'])).toBeUndefined();
    expect(heapGrowthFlag(['--heap-growing-percent'])).toBeUndefined();
  });

  it('hands the flag to V8 for the whole process', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    vi.spyOn(process, 'execArgv', 'get').mockReturnValue([]);
    expect(tuneHeapGrowth()).toBe('--heap-growing-percent=300');
    expect(set).toHaveBeenCalledWith('--heap-growing-percent=300');
  });

  it('sets nothing when the command line already did', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    vi.spyOn(process, 'execArgv', 'get').mockReturnValue(['--heap-growing-percent=100']);
    expect(tuneHeapGrowth()).toBeUndefined();
    expect(set).not.toHaveBeenCalled();
  });
});
