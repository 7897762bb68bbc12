// Rotating a consenter's TLS certificate on real `orderer start` processes
// (loopback), as an operator does it: `orderer keygen reissue-tls` issues the
// node a new certificate from the same TLS CA, `orderer channel update` (the
// channel file names the node's certificate by path) moves the consenter to
// it, and the node is restarted with it. Before the restart the peers' pinning
// refuses the node's old certificate; after it the node serves and
// replicates. Ends with the issue's check.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { extractChannelConfig } from '../../src/block/index.js';
import { nodePaths } from '../../src/cli/dev/layout.js';
import { publicKeyOfCertificate } from '../../src/cluster/pinning.js';
import { checkChannel, order, orderer, setUp, waitLeaderOf } from './channelSupport.js';
import { configBlockOf, updateChannel } from './configUpdateSupport.js';
import { counterSum, helloProbe } from './membershipSupport.js';

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

const samePublicKey = (a: string, b: string): boolean => publicKeyOfCertificate(a).equals(publicKeyOfCertificate(b));

describe('consenter certificate rotation', () => {
  it("rotates a follower's TLS certificate: reissued from the TLS CA, config update, restart; the old certificate is refused by the peers' pinning", async () => {
    const channelId = 'rotate-channel';
    const setup = await setUp(channelId, disposers);
    const leader = await waitLeaderOf(setup, channelId, 30_000);
    const rotated = [1, 2, 3].find((id) => id !== leader)!;
    const peer = [1, 2, 3].find((id) => id !== leader && id !== rotated)!;
    const first = await order(setup, leader, channelId, 60);
    expect(first.length).toBe(60);

    const read = (relative: string): string => fs.readFileSync(path.join(setup.dir, relative), 'utf8');
    const old = { certPem: read(nodePaths(rotated).tlsCert), keyPem: read(nodePaths(rotated).tlsKey) };
    // The probe works: with the pinned certificate, the peer welcomes "consenter <rotated>".
    expect(await helloProbe(setup, peer, rotated, old)).toBe('welcome');

    const reissued = await orderer(['keygen', 'reissue-tls', '--dir', setup.dir, '--node', String(rotated)]);
    expect(reissued.code, reissued.stderr).toBe(0);
    const newCert = read(nodePaths(rotated).tlsCert);
    expect(samePublicKey(newCert, old.certPem)).toBe(false);

    const update = await updateChannel(setup, leader, setup.channelFile);
    expect(update.code, update.stderr).toBe(0);
    expect(update.stdout).toContain('sequence 1');
    const configBlock = await configBlockOf(setup, leader, channelId, 1, 30_000);
    const consenters = extractChannelConfig(configBlock).consenters;
    expect(consenters).toHaveLength(3);
    expect(samePublicKey(consenters[rotated - 1]!.clientTlsCertPem, newCert)).toBe(true);

    // The node still runs with its old certificate: the peers re-pinned it and refuse it.
    const deadline = performance.now() + 30_000;
    let refusals = 0;
    while (refusals === 0 && performance.now() < deadline) {
      refusals = (
        await Promise.all(
          [leader, peer].map((id) => counterSum(setup, id, 'cluster_comm_stream_refused_count', ['direction="ingress"', 'reason="pin_mismatch"'])),
        )
      ).reduce((a, b) => a + b, 0);
      if (refusals === 0) await sleep(200);
    }
    expect(refusals).toBeGreaterThan(0);
    expect(await helloProbe(setup, peer, rotated, old)).toMatch(
      /^PERMISSION_DENIED: .*consenter \d+ but its TLS certificate's public key .* is not the one pinned for it/,
    );
    // Two of three consenters still order.
    const meanwhile = await order(setup, leader, channelId, 60);
    expect(meanwhile.length).toBe(60);

    await setup.cluster.process(rotated).stop(10_000);
    setup.cluster.process(rotated).start();
    await setup.cluster.waitListening(rotated, 60_000);
    // Healthy = it knows the channel's leader: its new certificate is accepted by the peers.
    await setup.cluster.waitHealthy(30_000);
    // Back with the new certificate: it serves (forwards to the leader) and replicates.
    const after = await order(setup, rotated, channelId, 60);
    expect(after.length).toBe(60);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...meanwhile, ...after]);
    // The old certificate stays refused.
    expect(await helloProbe(setup, peer, rotated, old)).toMatch(/^PERMISSION_DENIED: /);
  }, 240_000);
});
