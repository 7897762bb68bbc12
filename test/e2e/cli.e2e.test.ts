// The `orderer` command as a user meets it: usage errors name the flag or
// subcommand (exit 2), keygen writes configs that load as they are, the
// generated genesis block is the same on every node, and a supervisor that
// stops — cleanly or by SIGKILL — leaves no orderer process behind.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { decodeBlock, decodeSerializedIdentity, extractChannelConfig, HeaderType, readEnvelopeFields } from '../../src/block/index.js';
import { channelPlan, nodeOptionsFromConfig, POOL_TASKS_PER_CHANNEL_MAX } from '../../src/node/configMapping.js';
import { createEnvelopePool, loadClientCreator } from '../../src/client/envelopePool.js';
import { genesisBlockOfChannel } from '../../src/node/genesis.js';
import { keygen } from '../../src/cli/dev/keygen.js';
import { clientMsp, address, readManifest } from '../../src/cli/dev/layout.js';
import { isHealthy, isListening, metricValue } from '../../src/client/nodeMetrics.js';
import { loadNodeConfig } from '../../src/config/index.js';
import { freeNodePorts } from '../../src/cli/dev/freePorts.js';
import { ordererArgv } from './ordererRuntime.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-cli-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function orderer(...args: string[]) {
  const result = spawnSync(process.execPath, ordererArgv(args), { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function keygenWithFreePorts(dir: string, nodes: number, algorithm: 'ecdsa-p256' | 'sm2' = 'ecdsa-p256') {
  return keygen({
    outDir: dir,
    nodes,
    algorithm,
    channelId: 'cli-channel',
    ports: await freeNodePorts(nodes),
    engine: 'native',
    tickIntervalMs: 100,
  });
}

describe('orderer command line', () => {
  it('refuses an unknown subcommand and bad flags with exit code 2 and a message naming them', () => {
    const unknown = orderer('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "frobnicate"');

    const misspelt = orderer('keygen', '--out', tempDir(), '--nods', '3');
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain('--nods');

    const badValue = orderer('keygen', '--out', tempDir(), '--nodes', 'three');
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('--nodes must be an integer');

    const badAlgorithm = orderer('keygen', '--out', tempDir(), '--algorithm', 'rsa');
    expect(badAlgorithm.code).toBe(2);
    expect(badAlgorithm.stderr).toContain('--algorithm must be one of ecdsa-p256, sm2');

    const missing = orderer('start');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config is required');
  }, 120_000);

  it('refuses to start from a missing config file with exit code 1 naming the file', () => {
    const file = path.join(tempDir(), 'nowhere.yaml');
    const result = orderer('start', '--config', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(file);
  }, 60_000);
});

describe('orderer start', () => {
  it('fails with exit code 1 naming the address when its client port is taken, and releases what it opened', async () => {
    const dir = tempDir();
    const manifest = await keygenWithFreePorts(dir, 1);
    const node = manifest.nodes[0]!;
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(node.ports.client, '127.0.0.1', resolve));
    try {
      const taken = orderer('start', '--config', path.join(dir, node.configFile));
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`127.0.0.1:${node.ports.client}`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    // The storage lock and the other listeners were released: the same node starts now.
    const child = spawn(process.execPath, ordererArgv(['start', '--config', path.join(dir, node.configFile)]), { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = performance.now() + 60_000;
    while (!(await isHealthy(address(node, 'operations')))) {
      if (performance.now() > deadline || child.exitCode !== null) throw new Error('the node did not start after the port was freed');
      await sleep(200);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});

describe('orderer keygen', () => {
  it.each(['ecdsa-p256', 'sm2'] as const)(
    'writes %s node configs that load as they are, one per consenter, sharing one channel',
    async (algorithm) => {
      const dir = tempDir();
      const manifest = await keygenWithFreePorts(dir, 3, algorithm);
      expect(readManifest(dir)).toEqual(manifest);
      const configs = manifest.nodes.map((node) => loadNodeConfig(path.join(dir, node.configFile)));
      expect(configs.map((c) => c.id)).toEqual([1, 2, 3]);
      for (const config of configs) {
        expect(config.channels.map((c) => c.channelId)).toEqual(['cli-channel']);
        const channel = config.channels[0]!;
        expect(channel.signatureAlgorithm).toBe(algorithm);
        expect(channel.hashAlgorithm).toBe(algorithm === 'sm2' ? 'sm3' : 'sha256');
        expect(channel.consenters.map((c) => `${c.host}:${c.port}`)).toEqual(manifest.nodes.map((n) => address(n, 'cluster')));
        expect(channel.raft.tickIntervalMs).toBe(100);
        expect(config.tls.certPem).toContain('BEGIN CERTIFICATE');
      }
      // The client identity signs envelopes of about 1 KiB, each with its own tx id.
      const envelopes = createEnvelopePool({ channelId: 'cli-channel', creator: loadClientCreator(clientMsp(dir, manifest)), count: 20 });
      for (const e of envelopes) expect(Math.abs(e.bytes.length - 1024)).toBeLessThanOrEqual(4);
      expect(new Set(envelopes.map((e) => e.txId)).size).toBe(20);
      expect(envelopes.map((e) => readEnvelopeFields(e.bytes).creatorMspId)).toEqual(Array(20).fill('Org1MSP'));
    },
    60_000,
  );

  it('refuses to overwrite a directory that already holds a cluster', async () => {
    const dir = tempDir();
    await keygenWithFreePorts(dir, 1);
    await expect(keygenWithFreePorts(dir, 1)).rejects.toThrow(/already holds a cluster/);
  }, 60_000);
});

describe('config mapping', () => {
  it('maps a generated node config onto the node assembly: listeners, TLS, identity, pool, and a plan per channel', async () => {
    const dir = tempDir();
    const manifest = await keygenWithFreePorts(dir, 3);
    const node = manifest.nodes[1]!;
    const config = loadNodeConfig(path.join(dir, node.configFile));
    const options = nodeOptionsFromConfig(config, pino({ level: 'silent' }));
    expect(options.nodeId).toBe(2);
    expect([options.clientListenAddress, options.clusterListenAddress, options.operationsListenAddress]).toEqual([
      address(node, 'client'),
      address(node, 'cluster'),
      address(node, 'operations'),
    ]);
    expect(options.clientTls?.certPem).toBe(config.tls.certPem);
    expect(options.clusterTls.caPems).toEqual(config.tls.rootCaPems);
    expect(options.identity.signer.algorithm).toBe('ecdsa-p256');
    expect(decodeSerializedIdentity(options.identity.serializedIdentity).mspid).toBe('OrdererMSP');
    expect(options.pool.queueTasksMax).toBeGreaterThanOrEqual(POOL_TASKS_PER_CHANNEL_MAX);
    const [plan] = options.channels;
    expect(plan!.chain.consenters).toEqual([1, 2, 3]);
    expect(plan!.consenters.map((c) => c.address)).toEqual(manifest.nodes.map((n) => address(n, 'cluster')));
    expect(plan!.chain.tickIntervalMs).toBe(100);
    expect(Buffer.from(plan!.chain.genesisBlock!).equals(Buffer.from(genesisBlockOfChannel(config.channels[0]!)))).toBe(true);
    const carried = extractChannelConfig(decodeBlock(plan!.chain.genesisBlock!));
    expect(carried.channelId).toBe('cli-channel');
    expect(carried.consenters.map((c) => c.port)).toEqual(config.channels[0]!.consenters.map((c) => c.port));
    expect(carried.batchTimeoutMs).toBe(config.channels[0]!.batchTimeoutMs);
  }, 60_000);

  it('refuses a consenter whose client and server TLS certificates hold different keys, naming the field', async () => {
    const dir = tempDir();
    const manifest = await keygenWithFreePorts(dir, 2);
    const config = loadNodeConfig(path.join(dir, manifest.nodes[0]!.configFile));
    const channel = config.channels[0]!;
    const other = channel.consenters[1]!.serverTlsCertPem;
    const tampered = { ...channel, consenters: [{ ...channel.consenters[0]!, serverTlsCertPem: other }, channel.consenters[1]!] };
    expect(() => channelPlan(tampered, 'channels[0]')).toThrow(/channels\[0\]\.consenters\[0\]\.serverTlsCert must certify the same key as clientTlsCert/);
  }, 60_000);
});

describe('genesis block', () => {
  it('is the same bytes for a channel wherever it is built, a CONFIG block 0 carrying the config, and differs between channels', async () => {
    const dir = tempDir();
    const manifest = await keygenWithFreePorts(dir, 3);
    const channel = loadNodeConfig(path.join(dir, manifest.nodes[0]!.configFile)).channels[0]!;
    const fromNode3 = loadNodeConfig(path.join(dir, manifest.nodes[2]!.configFile)).channels[0]!;
    const a = genesisBlockOfChannel(channel);
    expect(Buffer.from(genesisBlockOfChannel(fromNode3)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(genesisBlockOfChannel({ ...channel, channelId: 'otherchannel' })).equals(Buffer.from(a))).toBe(false);
    expect(Buffer.from(genesisBlockOfChannel({ ...channel, batchTimeoutMs: channel.batchTimeoutMs + 1 })).equals(Buffer.from(a))).toBe(false);
    const block = decodeBlock(a);
    expect(block.header.number).toBe(0);
    expect(block.data.length).toBe(1);
    const fields = readEnvelopeFields(block.data[0]!);
    expect(fields.headerType).toBe(HeaderType.CONFIG);
    expect(fields.channelId).toBe(channel.channelId);
    const values = extractChannelConfig(block);
    expect(values.organizations.map((o) => o.mspId).sort()).toEqual(channel.organizations.map((o) => o.mspId).sort());
    expect(values.raftOptions?.tickIntervalMs).toBe(channel.raft.tickIntervalMs);
  }, 60_000);
});

describe('metrics text', () => {
  it('reads a labelled sample of the channel asked for and nothing else', () => {
    const text = [
      '# HELP consensus_etcdraft_is_leader x',
      'consensus_etcdraft_is_leader{channel="other"} 1',
      'consensus_etcdraft_is_leader{channel="mychannel"} 0',
      'consensus_etcdraft_committed_block_number{channel="mychannel"} 42',
    ].join('\n');
    expect(metricValue(text, 'consensus_etcdraft_is_leader', 'mychannel')).toBe(0);
    expect(metricValue(text, 'consensus_etcdraft_committed_block_number', 'mychannel')).toBe(42);
    expect(metricValue(text, 'consensus_etcdraft_committed_block_number', 'other')).toBeUndefined();
  });
});

describe('orderer cluster (the supervisor)', () => {
  // The development way on purpose: the sources under tsx, whose supervisor
  // starts its nodes under tsx too (the other tests here run dist/).
  async function startSupervisor(dir: string) {
    const manifest = readManifest(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'cluster', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = performance.now() + 90_000;
    for (;;) {
      const healthy = await Promise.all(manifest.nodes.map((n) => isHealthy(address(n, 'operations'))));
      if (healthy.every(Boolean)) break;
      if (performance.now() > deadline) throw new Error('cluster did not become healthy');
      await sleep(200);
    }
    return { child, exited, manifest };
  }

  async function allNodesGone(manifest: ReturnType<typeof readManifest>): Promise<void> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const up = await Promise.all(manifest.nodes.map((n) => isListening(address(n, 'operations'))));
      if (!up.some(Boolean)) return;
      if (performance.now() > deadline) throw new Error('orderer processes still answer 30 s after their supervisor stopped');
      await sleep(200);
    }
  }

  it('stops every node and exits 0 on SIGTERM; each node logs a clean stop', async () => {
    const dir = tempDir();
    await keygenWithFreePorts(dir, 3);
    const { child, exited, manifest } = await startSupervisor(dir);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await allNodesGone(manifest);
    for (const node of manifest.nodes) {
      expect(fs.readFileSync(path.join(dir, path.dirname(node.configFile), 'orderer.log'), 'utf8')).toContain('orderer node stopped');
    }
  }, 180_000);

  it('leaves no orphan node behind when it is killed with SIGKILL', async () => {
    const dir = tempDir();
    await keygenWithFreePorts(dir, 3);
    const { child, exited, manifest } = await startSupervisor(dir);
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    await allNodesGone(manifest);
  }, 180_000);
});
