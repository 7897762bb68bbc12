// The production way to run an orderer: `npm run build` compiles the sources
// to dist/ (scripts/build/compile.ts) and `node dist/src/cli/main.js start`
// runs them with no transpiler in the process. Builds once (esbuild, ~2 s),
// starts a one-node cluster from dist and orders envelopes through it, which
// needs the compiled worker pool to load dist's worker.js (the tsx shim
// worker-entry.mjs is not in dist); then the compiled `orderer bench` against
// it, whose signing processes load dist's signProcess.js.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, readManifest } from '../../src/cli/dev/layout.js';
import { createEnvelopePool } from '../../src/client/envelopePool.js';
import { runLoad } from '../../src/client/load.js';
import { compileDist, type CompileResult } from '../../scripts/build/compile.js';
import { blocksFrom, startE2eCluster, txIdsOf, type E2eCluster } from './helpers.js';

let built: CompileResult;
let e2e: E2eCluster;

beforeAll(async () => {
  built = await compileDist();
  e2e = await startE2eCluster({ nodes: 1 }, { runtime: 'compiled' });
}, 120_000);

afterAll(async () => {
  await e2e?.dispose();
}, 60_000);

describe('the compiled orderer (npm run build, node dist/src/cli/main.js)', () => {
  it('builds a JavaScript file for every source, the CLI entry and the pool worker among them', () => {
    expect(built.files).toBeGreaterThan(100);
    expect(fs.existsSync(built.main)).toBe(true);
    expect(fs.existsSync(path.join(built.outDir, 'src', 'workers', 'worker.js'))).toBe(true);
    expect(fs.readFileSync(built.main, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs as plain node on dist (no tsx loader) and orders broadcast envelopes into blocks', async () => {
    const pid = e2e.cluster.process(1).pid!;
    const argv = fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    expect(argv).not.toContain('tsx');
    expect(argv[argv.indexOf(built.main) + 1]).toBe('start');

    const envelopes = createEnvelopePool({ channelId: e2e.channelId, creator: e2e.creator, count: 20 });
    const report = await runLoad({ client: e2e.client(1), envelopes, streams: 1, windowPerStream: 8, durationMs: 60_000, once: true });
    expect(report).toMatchObject({ sent: 20, succeeded: 20, refused: {} });
    let ids: string[] = [];
    for (let tries = 0; tries < 100; tries++) {
      const height = (await e2e.cluster.committedBlockNumbers()).get(1) ?? 0;
      ids = txIdsOf(await blocksFrom(e2e, 1, height));
      if (envelopes.every((e) => ids.includes(e.txId))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ids).toEqual(expect.arrayContaining(envelopes.map((e) => e.txId)));
  });

  it('runs `orderer bench` compiled against that node: its signing processes sign and every envelope is acknowledged', async () => {
    const manifest = readManifest(e2e.dir);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-compiled-bench-'));
    try {
      const args = [built.main, 'bench', '--endpoint', address(manifest.nodes[0]!, 'client'), '--tls-ca', path.join(e2e.dir, manifest.tlsCaFile)];
      args.push(
        '--server-name',
        'localhost',
        '--channel',
        e2e.channelId,
        '--msp-id',
        manifest.client.mspId,
        '--msp-dir',
        path.join(e2e.dir, manifest.client.mspDir),
      );
      args.push('--duration-s', '2', '--rate', '50', '--out', out);
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, args, { stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
        child.on('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      expect(code).toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { summary: { sent: number; acknowledged: number } };
      expect(report.summary).toMatchObject({ sent: 100, acknowledged: 100 });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
