// The house rules of ARCHITECTURE.md, checked on the import graph: which layer
// may import which, fronts (a layer is entered through its index.ts), no code
// outside test/ importing test code, and no import circle outside src/raft/.

import { describe, expect, it } from 'vitest';
import { circles, importsOf, sourceFiles, type ImportEdge } from './importGraph.js';

/** Layers (folders of src/; native-free/<layer>/ belongs to that layer) and the layers each may import. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  raft: [],
  config: [],
  crypto: ['raft'],
  block: ['crypto'],
  cluster: ['raft'],
  storage: ['raft', 'block', 'crypto'],
  workers: ['crypto', 'block'],
  catchup: ['block', 'crypto', 'storage'],
  chain: ['raft', 'crypto', 'block', 'storage', 'workers', 'cluster', 'catchup'],
  server: ['chain', 'storage', 'block'],
  node: ['raft', 'crypto', 'block', 'storage', 'workers', 'cluster', 'catchup', 'chain', 'server', 'config'],
  client: ['block', 'crypto', 'config'],
  cli: ['raft', 'crypto', 'block', 'storage', 'workers', 'cluster', 'catchup', 'chain', 'server', 'node', 'client', 'config'],
};
/** Files at the top of src/ that every layer may use (the error base, the clock). */
const SHARED_ROOT = new Set(['src/errors.ts', 'src/clock.ts']);

function layerOf(file: string): string | undefined {
  return /^(?:src|native-free)\/([^/]+)\//.exec(file)?.[1];
}

const appFiles = sourceFiles('src', 'native-free');
const appEdges = appFiles.flatMap(importsOf);
const outerEdges = sourceFiles('bench', 'scripts').flatMap(importsOf);

function describeEdges(edges: readonly ImportEdge[]): string[] {
  return edges.map((e) => `${e.from} -> ${e.to}`);
}

describe('layers', () => {
  it('every folder of src/ is a known layer with a front door (index.ts)', () => {
    const layers = new Set(
      appFiles
        .filter((f) => f.startsWith('src/'))
        .map(layerOf)
        .filter((l) => l !== undefined),
    );
    expect([...layers].filter((l) => MAY_IMPORT[l] === undefined)).toEqual([]);
    expect([...layers].filter((l) => !appFiles.includes(`src/${l}/index.ts`))).toEqual([]);
  });

  it('a layer imports only the layers it may', () => {
    const bad = appEdges.filter((e) => {
      const from = layerOf(e.from);
      const to = layerOf(e.to);
      if (from === undefined || to === undefined || from === to) return false;
      return !MAY_IMPORT[from]!.includes(to);
    });
    expect(describeEdges(bad)).toEqual([]);
  });

  it('src/raft/ imports nothing outside itself', () => {
    const bad = appEdges.filter((e) => e.from.startsWith('src/raft/') && !e.to.startsWith('src/raft/'));
    expect(describeEdges(bad)).toEqual([]);
  });

  it('another layer, bench/ and scripts/ enter a layer only through its index.ts', () => {
    const bad = [...appEdges, ...outerEdges].filter((e) => {
      const to = layerOf(e.to);
      if (to === undefined || !e.to.startsWith('src/') || SHARED_ROOT.has(e.to)) return false;
      if (layerOf(e.from) === to) return false;
      return e.to !== `src/${to}/index.ts`;
    });
    expect(describeEdges(bad)).toEqual([]);
  });

  it('only files of the layer import the top of src/ that is not shared', () => {
    const bad = [...appEdges, ...outerEdges].filter((e) => /^src\/[^/]+\.ts$/.test(e.to) && !SHARED_ROOT.has(e.to));
    expect(describeEdges(bad)).toEqual([]);
  });

  it('no code outside test/ imports test code', () => {
    const bad = [...appEdges, ...outerEdges].filter((e) => e.to.startsWith('test/'));
    expect(describeEdges(bad)).toEqual([]);
  });

  it('no import circle outside src/raft/ (its role files call each other, as etcd-raft)', () => {
    const found = circles(appEdges).filter((c) => !c.every((f) => f.startsWith('src/raft/')));
    expect(found).toEqual([]);
  });
});
