// A channel whose cluster TLS CA is RSA 2048 (a common Fabric CA), with real
// `orderer start` processes: keygen's TLS CA and node certificates are swapped
// for openssl-made RSA ones (test/cluster/tls) before the nodes start, so the
// cluster streams, the client listener and the channel's TLS roots are all RSA.
// `orderer channel update` of the batch size is accepted (before the TLS-chain
// check every config update of such a channel was refused), one adding a
// consenter whose certificate comes from a same-named other CA is refused
// naming that consenter, and ordering goes on.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { extractChannelConfig, HeaderType, readEnvelopeFields } from '../../src/block/index.js';
import { TLS_CA_FILES } from '../../src/cli/dev/keygen.js';
import { nodePaths } from '../../src/cli/dev/layout.js';
import { blocksHolding, checkChannel, order, setUp, waitLeaderOf, type Setup } from './channelSupport.js';
import { freePorts } from './helpers.js';
import { updateChannel } from './configUpdateSupport.js';

const clusterTlsFixture = (name: string): string => fileURLPath(`../cluster/tls/${name}`);
const impostorCertFile = fileURLPath('../crypto/tls/impostor-leaf.crt');

function fileURLPath(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

/** Replaces keygen's P-256 TLS CA and node certificates (same file paths, so every config keeps pointing at them). */
function useRsaTls(setup: Setup, nodeIds: readonly number[]): void {
  fs.copyFileSync(clusterTlsFixture('rsa-ca.crt'), path.join(setup.dir, TLS_CA_FILES.cert));
  for (const id of nodeIds) {
    const paths = nodePaths(id);
    fs.copyFileSync(clusterTlsFixture(`rsa-node${id}.crt`), path.join(setup.dir, paths.tlsCert));
    fs.copyFileSync(clusterTlsFixture(`rsa-node${id}.key`), path.join(setup.dir, paths.tlsKey));
  }
}

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 60_000);

describe('config updates of a channel whose TLS CA is RSA 2048 (real processes)', () => {
  it("accepts an admin's batch size update, refuses a consenter of another CA naming it, and keeps ordering", async () => {
    const channelId = 'rsa-tls-channel';
    const setup = await setUp(channelId, disposers, { startNodes: [] });
    useRsaTls(setup, [1, 2, 3]);
    setup.cluster.startAll();
    await setup.cluster.waitHealthy(60_000);
    await waitLeaderOf(setup, channelId, 30_000);
    const first = await order(setup, 1, channelId, 40);
    expect(first.length).toBe(40);

    const edited = parse(fs.readFileSync(setup.channelFile, 'utf8')) as { batchSize: { maxMessageCount: number }; consenters: Record<string, unknown>[] };
    edited.batchSize.maxMessageCount = 3;
    const editedFile = path.join(setup.dir, 'channels/rsa-batch.yaml');
    fs.writeFileSync(editedFile, stringify(edited));
    const accepted = await updateChannel(setup, 2, editedFile);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('sequence 1');

    // The impostor's issuer has the name of a real TLS CA (tlsca.rsa.example.com of test/crypto/tls) but is not a root of this channel.
    const [impostorPort] = await freePorts(1);
    edited.consenters.push({ id: 4, host: '127.0.0.1', port: impostorPort!, clientTlsCert: impostorCertFile, serverTlsCert: impostorCertFile });
    const withImpostorFile = path.join(setup.dir, 'channels/rsa-impostor.yaml');
    fs.writeFileSync(withImpostorFile, stringify(edited));
    const refused = await updateChannel(setup, 3, withImpostorFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `consenter-certificate.*consenter 127\\.0\\.0\\.1:${impostorPort} client TLS certificate: certificate "CN=orderer9\\.rsa\\.example\\.com,O=TlsOrg" is not issued by a TLS CA`,
      ),
    );

    const second = await order(setup, 3, channelId, 40);
    expect(second.length).toBe(40);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second]);
    const blocks = await blocksHolding(
      setup,
      1,
      channelId,
      second.map((e) => e.txId),
      60_000,
    );
    const configBlocks = blocks.filter((b) => b.header.number > 0 && readEnvelopeFields(b.data[0]!).headerType === HeaderType.CONFIG);
    expect(configBlocks.map((b) => extractChannelConfig(b).batchSize.maxMessageCount)).toEqual([3]);
    expect(extractChannelConfig(configBlocks[0]!).consenters).toHaveLength(3);
  }, 240_000);
});
