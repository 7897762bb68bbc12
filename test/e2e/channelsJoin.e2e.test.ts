// The node side of a join, without processes: a config block read into a
// ChannelPlan (joinPlanOfBlock) and refused for the reasons an operator must
// see; the removed-channels record; the `orderer channel` and `orderer genesis`
// commands' usage errors and failures (exit codes 2 and 1).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, decodeBlock, encodeBlock, extractChannelConfig, HeaderType, isOrganizationAdmin } from '../../src/block/index.js';
import { channelPlan } from '../../src/node/configMapping.js';
import { genesisBlockOfChannel } from '../../src/node/genesis.js';
import { joinPlanOfBlock, UnservableChannelError } from '../../src/node/joinPlan.js';
import { ADMIN_MSP_DIRS, keygen } from '../../src/cli/dev/keygen.js';
import { RemovedChannels } from '../../src/node/removedChannels.js';
import { loadNodeConfig, type ChannelConfig } from '../../src/config/index.js';
import { OrdererError } from '../../src/errors.js';
import { freeNodePorts, freePorts } from '../../src/cli/dev/freePorts.js';
import { ordererArgv } from './ordererRuntime.js';

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-join-'));
  dirs.push(dir);
  return dir;
}

/** A keygen'd 3-node layout; node 2's config (its channel and TLS certificate). */
async function layout(): Promise<{ dir: string; channel: ChannelConfig; tlsCertPem: string; channelFile: string }> {
  const dir = tempDir();
  const manifest = keygen({
    outDir: dir,
    nodes: 3,
    algorithm: 'ecdsa-p256',
    channelId: 'join-channel',
    ports: await freeNodePorts(3),
    engine: 'native',
  });
  const config = loadNodeConfig(path.join(dir, manifest.nodes[1]!.configFile));
  return { dir, channel: config.channels[0]!, tlsCertPem: config.tls.certPem, channelFile: path.join(dir, 'channels/join-channel.yaml') };
}

function run(args: readonly string[]) {
  const result = spawnSync(process.execPath, ordererArgv(args), { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('joinPlanOfBlock', () => {
  it('reads the genesis block of a file-configured channel into the same plan as the file gives', async () => {
    const { channel, tlsCertPem } = await layout();
    const block = genesisBlockOfChannel(channel);
    const { plan, values } = joinPlanOfBlock(block, { nodeId: 2, tlsCertPem });
    const fromFile = channelPlan(channel, 'channels[0]');
    expect(values.channelId).toBe('join-channel');
    expect(plan.consenters).toEqual(fromFile.consenters);
    const { organizations: joinedOrgs, ...joinedRest } = plan.chain;
    const { organizations: fileOrgs, ...fileRest } = fromFile.chain;
    expect(joinedRest).toEqual(fileRest);
    expect(joinedOrgs.map((o) => o.mspId).sort()).toEqual(fileOrgs.map((o) => o.mspId).sort());
  }, 60_000);

  it('refuses a node whose TLS certificate is not a consenter, or that the block numbers differently', async () => {
    const { channel, tlsCertPem } = await layout();
    const other = await layout();
    const block = genesisBlockOfChannel(channel);
    expect(() => joinPlanOfBlock(block, { nodeId: 2, tlsCertPem: other.tlsCertPem })).toThrow(/not among the 3 consenters of channel "join-channel"/);
    expect(() => joinPlanOfBlock(block, { nodeId: 1, tlsCertPem })).toThrow(/gives this node Raft id 2, but the node runs as id 1/);
    expect(() => joinPlanOfBlock(block, { nodeId: 1, tlsCertPem })).toThrow(UnservableChannelError);
  }, 60_000);

  it('refuses a block after block 0 given alone, bytes that are not a block, and a block without a config envelope', async () => {
    const { channel, tlsCertPem } = await layout();
    const genesis = decodeBlock(genesisBlockOfChannel(channel));
    const later = encodeBlock({ ...genesis, header: { ...genesis.header, number: 7 } });
    expect(() => joinPlanOfBlock(later, { nodeId: 2, tlsCertPem })).toThrow(/config block 7 is after block 0; join with the channel's genesis block too/);
    expect(() => joinPlanOfBlock(new Uint8Array([0xff, 0xff, 0xff]), { nodeId: 2, tlsCertPem })).toThrow(OrdererError);
    const normal = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'join-channel', data: new Uint8Array([1]) });
    const notConfig = encodeBlock({ ...genesis, data: [normal] });
    expect(() => joinPlanOfBlock(notConfig, { nodeId: 2, tlsCertPem })).toThrow(/CONFIG/);
  }, 60_000);
});

describe('joinPlanOfBlock with a config block after block 0 (a consenter added by a config update)', () => {
  it("takes the later block's consenters as Raft voters and block 0 as genesis; refuses without block 0 or with another channel's", async () => {
    const { channel } = await layout();
    const other = await layout();
    const genesis = genesisBlockOfChannel(channel);
    // The config as a config update left it: a fourth consenter (the other layout's node 2), written in block 5.
    const grown = decodeBlock(genesisBlockOfChannel({ ...channel, consenters: [...channel.consenters, other.channel.consenters[1]!] }));
    const later = encodeBlock({ ...grown, header: { ...grown.header, number: 5 } });
    const newcomer = { nodeId: 4, tlsCertPem: other.tlsCertPem };
    const { plan } = joinPlanOfBlock(later, newcomer, genesis);
    expect(plan.chain.consenters).toEqual([1, 2, 3, 4]);
    expect(Buffer.from(plan.chain.genesisBlock!).equals(Buffer.from(genesis))).toBe(true);
    expect(plan.consenters.map((c) => c.id)).toEqual([1, 2, 3, 4]);
    expect(() => joinPlanOfBlock(later, newcomer)).toThrow(/config block 5 is after block 0; join with the channel's genesis block too/);
    const foreignGenesis = genesisBlockOfChannel({ ...other.channel, channelId: 'another-channel' });
    expect(() => joinPlanOfBlock(later, newcomer, foreignGenesis)).toThrow(/genesis block given is of channel "another-channel"/);
    expect(() => joinPlanOfBlock(later, newcomer, later)).toThrow(/is block 5, not block 0/);
  }, 60_000);
});

describe('admins of a keygen channel', () => {
  it('are written into block 0, so each organization has an admin who may sign config updates (and the clients are not admins)', async () => {
    const { dir, channel } = await layout();
    const values = extractChannelConfig(decodeBlock(genesisBlockOfChannel(channel)));
    const cert = (relative: string) => fs.readFileSync(path.join(dir, relative, 'signcerts/cert.pem'), 'utf8');
    const org = (mspId: string) => values.organizations.find((o) => o.mspId === mspId)!;
    expect(isOrganizationAdmin(org('OrdererMSP'), cert(ADMIN_MSP_DIRS.orderer))).toBe(true);
    expect(isOrganizationAdmin(org('Org1MSP'), cert(ADMIN_MSP_DIRS.client))).toBe(true);
    expect(isOrganizationAdmin(org('Org1MSP'), cert('client/msp'))).toBe(false);
    expect(isOrganizationAdmin(org('OrdererMSP'), cert(ADMIN_MSP_DIRS.client))).toBe(false);
  }, 60_000);
});

describe('RemovedChannels', () => {
  it('remembers removed channels across instances (the restart case) and refuses a damaged file naming it', () => {
    const file = path.join(tempDir(), 'removed-channels.json');
    const first = new RemovedChannels(file);
    expect(first.has('a')).toBe(false);
    first.add('a');
    first.add('b');
    const reopened = new RemovedChannels(file);
    expect([reopened.has('a'), reopened.has('b'), reopened.has('c')]).toEqual([true, true, false]);
    fs.writeFileSync(file, '{"removed": [1]}');
    expect(() => new RemovedChannels(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} must be`));
  });
});

describe('orderer channel / orderer genesis commands', () => {
  it('exit 2 naming the problem for bad usage', () => {
    const noAction = run(['channel']);
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toContain('join, list, remove or update');
    const noNode = run(['channel', 'list']);
    expect(noNode.code).toBe(2);
    expect(noNode.stderr).toContain('--node is required');
    const badUrl = run(['channel', 'list', '--node', 'ftp://127.0.0.1:1']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('http or https');
  }, 60_000);

  it('exit 1 naming the cause: a missing block file, a node that does not answer', async () => {
    const missing = run(['channel', 'join', '--block', '/nonexistent/x.block', '--node', '127.0.0.1:1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/nonexistent/x.block');
    const [port] = await freePorts(1);
    const down = run(['channel', 'list', '--node', `127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`127.0.0.1:${port}`);
  }, 60_000);

  it('orderer genesis writes the same block as the node builds, and never overwrites a file', async () => {
    const { dir, channel, channelFile } = await layout();
    const out = path.join(dir, 'g.block');
    const written = run(['genesis', '--channel-config', channelFile, '--out', out]);
    expect(written.code, written.stderr).toBe(0);
    expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(genesisBlockOfChannel(channel)))).toBe(true);
    const again = run(['genesis', '--channel-config', channelFile, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('EEXIST');
  }, 60_000);
});
