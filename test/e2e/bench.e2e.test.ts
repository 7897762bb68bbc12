// `orderer bench` as a user runs it. Against an orderer started separately,
// given only what a Fabric client has (endpoint, TLS CA, channel, MSP dir);
// bad input named with exit code 2 (usage) or 1 (what was given cannot be
// used); and against the local cluster it starts itself (two channels),
// whose report.md, report.json and charts agree with each other and with the
// nodes' /metrics, channel by channel.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, freeNodePorts, keygen, LocalCluster, type ClusterManifest } from '../../src/cli/index.js';
import type { BenchReport } from '../../src/client/index.js';
import { E2E_RUNTIME, ordererArgv } from './ordererRuntime.js';

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-bench-e2e-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function orderer(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ordererArgv(args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function readReport(dir: string): BenchReport {
  return JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as BenchReport;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

describe('orderer bench against an orderer started separately', () => {
  let dir: string;
  let manifest: ClusterManifest;
  let cluster: LocalCluster;
  let external: string[];

  beforeAll(async () => {
    dir = tempDir();
    manifest = keygen({
      outDir: dir,
      nodes: 1,
      algorithm: 'ecdsa-p256',
      channelId: 'extchannel',
      ports: await freeNodePorts(1),
      engine: 'native',
      tickIntervalMs: 100,
      batchTimeoutMs: 200,
    });
    cluster = new LocalCluster(dir, { runtime: E2E_RUNTIME });
    cluster.startAll();
    await cluster.waitHealthy(90_000);
    const node = manifest.nodes[0]!;
    external = [
      '--endpoint',
      address(node, 'client'),
      '--tls-ca',
      path.join(dir, manifest.tlsCaFile),
      '--server-name',
      'localhost',
      '--channel',
      manifest.channelId,
      '--msp-id',
      manifest.client.mspId,
    ];
  }, 120_000);

  afterAll(async () => {
    await cluster?.stopAll(10_000);
  });

  it('orders with only the endpoint, TLS CA, channel and MSP dir; its counts match the node /metrics', async () => {
    const out = tempDir();
    const ops = address(manifest.nodes[0]!, 'operations');
    const result = await orderer(
      'bench',
      ...external,
      '--msp-dir',
      path.join(dir, manifest.client.mspDir),
      '--operations',
      ops,
      '--duration-s',
      '3',
      '--rate',
      '100',
      '--out',
      out,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = readReport(out);
    expect(report.config.kind).toBe('external');
    expect(report.summary.sent).toBe(300);
    expect(report.summary.acknowledged).toBe(300);
    expect(report.summary.committedOwn).toBe(300);
    const before = report.nodeMetricsAtStart[1]!.broadcastSuccess ?? 0;
    expect(report.nodeMetrics[1]!.broadcastSuccess! - before).toBe(300);
    expect(report.nodeMetrics[1]!.committedBlockNumber).toBe(report.blocks.last);
  }, 150_000);

  it('names an unknown MSP dir', async () => {
    const missing = path.join(tempDir(), 'no-such-msp');
    const result = await orderer('bench', ...external, '--msp-dir', missing, '--duration-s', '1', '--rate', '10', '--out', tempDir());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`MSP directory ${missing} does not exist`);
  }, 60_000);

  it('names an MSP whose key does not match its certificate', async () => {
    const msp = path.join(tempDir(), 'msp');
    fs.cpSync(path.join(dir, manifest.client.mspDir), msp, { recursive: true });
    const keystore = path.join(msp, 'keystore');
    for (const name of fs.readdirSync(keystore)) fs.rmSync(path.join(keystore, name));
    const nodeKeystore = path.join(dir, path.dirname(manifest.nodes[0]!.configFile), 'msp', 'keystore');
    fs.copyFileSync(path.join(nodeKeystore, fs.readdirSync(nodeKeystore)[0]!), path.join(keystore, 'priv_sk'));
    const result = await orderer('bench', ...external, '--msp-dir', msp, '--duration-s', '1', '--rate', '10', '--out', tempDir());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the key in ${msp}/keystore does not belong to the certificate`);
  }, 60_000);

  it('names an unreachable endpoint', async () => {
    const [free] = await freeNodePorts(1);
    const unreachable = `127.0.0.1:${free!.client}`;
    const result = await orderer(
      'bench',
      '--endpoint',
      unreachable,
      '--channel',
      manifest.channelId,
      '--msp-dir',
      path.join(dir, manifest.client.mspDir),
      '--duration-s',
      '1',
      '--rate',
      '10',
      '--out',
      tempDir(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`BENCH_TARGET: endpoint ${unreachable} is unreachable`);
  }, 60_000);

  it('names a bad schedule field, and bad flags with exit code 2', async () => {
    const schedule = path.join(tempDir(), 'schedule.yaml');
    fs.writeFileSync(schedule, 'phases:\n  - { duration_s: 2, rate: fast }\n');
    const bad = await orderer('bench', ...external, '--msp-dir', path.join(dir, manifest.client.mspDir), '--schedule', schedule, '--out', tempDir());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`BENCH_CONFIG: schedule file ${schedule}: phases[0].rate must be a number`);
    const flag = await orderer('bench', '--rate', 'lots');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--rate must be an integer');
    const threshold = await orderer('bench', '--threshold', 'p98<1ms');
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain('unknown metric "p98"');
    const noBound = await orderer('bench', '--find-max', '--rate', '100');
    expect(noBound.code).toBe(2);
    expect(noBound.stderr).toContain('--find-max needs at least one --bound');
    const badBound = await orderer('bench', '--find-max', '--rate', '100', '--bound', 'tps>5');
    expect(badBound.code).toBe(2);
    expect(badBound.stderr).toContain('--bound: bound "tps>5" is not');
    const stepAlone = await orderer('bench', '--step-rate', '100');
    expect(stepAlone.code).toBe(2);
    expect(stepAlone.stderr).toContain('--step-rate needs --find-max');
    const horizon = await orderer('bench', '--tx-id-horizon', '5');
    expect(horizon.code).toBe(2);
    expect(horizon.stderr).toContain('--tx-id-horizon must be an integer in 1024..268435456, got "5"');
  }, 60_000);
});

describe('orderer bench on the local cluster it starts', () => {
  let out: string;
  let result: { code: number | null; stdout: string; stderr: string };
  let report: BenchReport;

  beforeAll(async () => {
    out = tempDir();
    const schedule = path.join(tempDir(), 'schedule.json');
    fs.writeFileSync(
      schedule,
      JSON.stringify({
        phases: [
          { name: 'open', duration_s: 3, rate: 200 },
          { name: 'closed', duration_s: 3, backlog: 64 },
        ],
      }),
    );
    result = await orderer(
      'bench',
      '--nodes',
      '3',
      '--channels',
      '2',
      '--schedule',
      schedule,
      '--batch-timeout-ms',
      '200',
      // The nodes start with a txIdHorizon in their config (each channel's index rotates within the run).
      '--tx-id-horizon',
      '1024',
      '--out',
      out,
      '--html',
      '--threshold',
      'tps>1',
      '--threshold',
      'refused<1',
    );
    report = readReport(out);
  }, 170_000);

  it('passes its thresholds and writes report.md, report.json and the SVG charts', () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const file of ['report.md', 'report.json', 'report.html', 'throughput.svg', 'latency.svg', 'distribution.svg', 'cpu.svg', 'rss.svg', 'anon.svg']) {
      expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    }
    for (const file of ['throughput.svg', 'latency.svg', 'distribution.svg', 'cpu.svg'])
      expect(fs.readFileSync(path.join(out, file), 'utf8')).toMatch(/^<svg[^>]*>/);
    expect(fs.readFileSync(path.join(out, 'throughput.svg'), 'utf8')).toContain('throughput per second');
    expect(report.thresholds.map((t) => t.pass)).toEqual([true, true]);
  });

  it('agrees with itself: rounds and seconds add up to the summary, every acknowledged envelope committed', () => {
    const s = report.summary;
    expect(s.sent).toBeGreaterThan(600);
    expect(s.acknowledged).toBe(s.sent);
    expect(s.committedOwn).toBe(s.acknowledged);
    expect(report.rounds.map((r) => r.name)).toEqual(['open', 'closed']);
    expect(sum(report.rounds.map((r) => r.acknowledged))).toBe(s.acknowledged);
    expect(sum(report.rounds.map((r) => r.committedOwn))).toBe(s.committedOwn);
    expect(sum(report.seconds.map((x) => x.acknowledged))).toBe(s.acknowledged);
    expect(sum(report.seconds.map((x) => x.committedOwn))).toBe(s.committedOwn);
    expect(sum(report.seconds.map((x) => x.blocks))).toBe(s.blocks);
    expect(s.ack.count).toBe(s.acknowledged);
    expect(s.commit.count).toBe(s.committedOwn);
    expect(report.harness.mainThreadUsPerEnvelope).toBeGreaterThan(0);
    expect(report.harness.harnessUsPerEnvelope).toBeGreaterThanOrEqual(report.harness.mainThreadUsPerEnvelope! * 0.9);
  });

  it("agrees with the nodes' /metrics on each channel: Broadcast SUCCESS counts and the committed height", () => {
    expect(report.channels.map((c) => c.channelId)).toEqual(['benchchannel-1', 'benchchannel-2']);
    for (const channel of report.channels) {
      const ids = Object.keys(channel.nodeMetrics).map(Number);
      expect(ids).toEqual([1, 2, 3]);
      // A node no envelope was sent to has no SUCCESS counter yet.
      const acknowledgedByNodes = sum(
        ids.map((id) => (channel.nodeMetrics[id]!.broadcastSuccess ?? 0) - (channel.nodeMetricsAtStart[id]?.broadcastSuccess ?? 0)),
      );
      expect(acknowledgedByNodes).toBe(channel.summary.acknowledged);
      expect(channel.summary.blocks).toBe(channel.blocks.last! - channel.blocks.base!);
      expect(Math.max(...ids.map((id) => channel.nodeMetrics[id]!.committedBlockNumber!))).toBe(channel.blocks.last);
      expect(ids.filter((id) => channel.nodeMetrics[id]!.isLeader)).toHaveLength(1);
      // The load was split evenly: each channel got its share of every round.
      expect(channel.summary.sent).toBeGreaterThan(report.summary.sent / 4);
      expect(channel.summary.committedOwn).toBe(channel.summary.acknowledged);
    }
    expect(report.blocks).toEqual(report.channels[0]!.blocks);
    for (const field of ['sent', 'acknowledged', 'committedOwn', 'blocks'] as const)
      expect(sum(report.channels.map((c) => c.summary[field])), field).toBe(report.summary[field]);
  });

  it('report.md prints the figures of report.json', () => {
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const s = report.summary;
    expect(md).toContain(`Sent ${s.sent.toLocaleString('en-US')}, acknowledged ${s.acknowledged.toLocaleString('en-US')}`);
    expect(md).toContain(`**${Math.round(s.committedTxPerS).toLocaleString('en-US')} committed tx/s**`);
    expect(md).toContain(`| ack | ${s.ack.count.toLocaleString('en-US')} | ${s.ack.p50!.toFixed(1)} |`);
    expect(md).toContain(`**${report.harness.harnessUsPerEnvelope!.toFixed(1)} µs of CPU per envelope sent, acknowledged and followed to its commit**`);
    for (const chart of ['throughput.svg', 'latency.svg', 'distribution.svg', 'cpu.svg', 'rss.svg', 'anon.svg']) expect(md).toContain(`](${chart})`);
    // Each node's memory: the table's resident maximum and anonymous memory at the end are the seconds' figures.
    for (const id of [1, 2, 3]) {
      const points = report.seconds.flatMap((x) => x.nodes.filter((node) => node.id === id));
      const rssMax = Math.round(Math.max(...points.map((p) => p.rssMb!)));
      const anonLast = points[points.length - 1]!.anonMb!;
      expect(anonLast).toBeGreaterThan(0);
      expect(anonLast).toBeLessThan(points[points.length - 1]!.rssMb!);
      expect(md).toMatch(
        new RegExp(
          `^\\| ${id} \\| ${rssMax.toLocaleString('en-US')} \\| [\\d,]+ \\| [\\d,—]+ \\| [\\d,]+ \\| ${Math.round(anonLast).toLocaleString('en-US')} \\|$`,
          'm',
        ),
      );
    }
    for (const c of report.channels)
      expect(md).toContain(`| ${c.channelId} | ${c.summary.sent.toLocaleString('en-US')} | ${c.summary.acknowledged.toLocaleString('en-US')} |`);
  });

  it('compare prints the change, and a threshold it fails exits 1', async () => {
    const file = path.join(out, 'report.json');
    const compared = await orderer('bench', 'compare', file, file, '--threshold', 'tps>100000000');
    expect(compared.code).toBe(1);
    expect(compared.stdout).toContain('| committed tx/s |');
    expect(compared.stdout).toContain('threshold tps>100000000: FAIL');
  }, 60_000);
});
