// A config update made as Fabric's tools make it, against real `orderer
// start` processes: the client reads the latest config block over Deliver,
// modifies the config, computes the ConfigUpdate, collects the admins'
// ConfigSignatures and broadcasts the CONFIG_UPDATE — all with
// @hyperledger/fabric-protos (test/support/fabricConfigTx.ts), as
// configtxlator + peer channel signconfigtx + peer channel update would.
// Fewer admins than /Channel/Orderer/Admins needs are FORBIDDEN naming it,
// enough are accepted and applied, the same update again is refused by
// Fabric's version check, and a member's ORDERER_TRANSACTION is refused.

import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeBlock, extractChannelConfig, HeaderType, isConfigBlock, Status } from '../../src/block/index.js';
import { BroadcastStream, connectAtomicBroadcast } from '../../src/client/abClient.js';
import { loadClientCreator } from '../../src/client/envelopePool.js';
import { address, clientMsp, clientTls, readManifest } from '../../src/cli/dev/layout.js';
import { loadLocalMsp } from '../../src/crypto/localMsp.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { computeUpdate, configOfBlock, configUpdateEnvelope, signConfigUpdate, withMaxMessageCount, type FabricSigner } from '../support/fabricConfigTx.js';
import { checkChannel, order, servedBlocks, setUp, waitLeaderOf, type Setup } from './channelSupport.js';
import { ADMINS, configBlockOf } from './configUpdateSupport.js';

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 60_000);

function adminSigner(setup: Setup, admin: { dir: string; mspId: string }): FabricSigner {
  const msp = loadLocalMsp(path.join(setup.dir, admin.dir), { mspId: admin.mspId, provider: createCryptoProvider('native') });
  return { mspId: msp.mspId, certPem: msp.certPem, sign: (m) => msp.signer.sign(m) };
}

async function broadcast(setup: Setup, id: number, envelope: Uint8Array): Promise<{ status: number; info: string }> {
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, readManifest(setup.dir)));
  try {
    const stream = new BroadcastStream(client);
    const response = await stream.send(envelope);
    await stream.end();
    return response;
  } finally {
    client.close();
  }
}

describe("a config update built with fabric-protos as Fabric's tools build it (real processes)", () => {
  it('fewer admins: FORBIDDEN naming /Channel/Orderer/Admins; enough: applied on every node; again: refused by the version check', async () => {
    const channelId = 'fabric-update';
    const setup = await setUp(channelId, disposers);
    await waitLeaderOf(setup, channelId, 30_000);
    const first = await order(setup, 1, channelId, 20);

    const member = loadClientCreator(clientMsp(setup.dir, readManifest(setup.dir)));
    const ordererTx = createSignedEnvelope({ type: HeaderType.ORDERER_TRANSACTION, channelId, data: new Uint8Array(32), creator: member });
    expect(await broadcast(setup, 1, ordererTx)).toEqual({ status: Status.BAD_REQUEST, info: 'message is of type that is no longer supported' });

    // Read config → modify → compute update → sign → broadcast.
    const blocks = await servedBlocks(setup, 2, channelId);
    const configBlock = blocks.filter((b) => isConfigBlock(b)).at(-1)!;
    const config = configOfBlock(encodeBlock(configBlock));
    const updateBytes = computeUpdate(channelId, config, withMaxMessageCount(config, 4)).serializeBinary();
    const ordererAdmin = adminSigner(setup, ADMINS.orderer);
    const org1Admin = adminSigner(setup, ADMINS.org1);
    const envelopeSignedBy = (signers: FabricSigner[]) =>
      configUpdateEnvelope(
        channelId,
        updateBytes,
        signers.map((s) => signConfigUpdate(updateBytes, s)),
        signers[0]!,
      );

    const fewer = await broadcast(setup, 2, envelopeSignedBy([ordererAdmin]));
    expect(fewer.status).toBe(Status.FORBIDDEN);
    expect(fewer.info).toBe(
      `error applying config update to existing channel '${channelId}': error authorizing update: error validating DeltaSet: ` +
        'policy for [Value]  /Channel/Orderer/BatchSize not satisfied: mod_policy /Channel/Orderer/Admins: ' +
        "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2 of the 'Admins' sub-policies to be satisfied",
    );

    const enough = envelopeSignedBy([ordererAdmin, org1Admin]);
    expect(await broadcast(setup, 2, enough)).toEqual({ status: Status.SUCCESS, info: '' });
    for (const id of [1, 2, 3]) {
      const applied = await configBlockOf(setup, id, channelId, 1, 60_000);
      expect(extractChannelConfig(applied).batchSize.maxMessageCount).toBe(4);
    }

    const again = await broadcast(setup, 3, enough);
    expect(again.status).toBe(Status.BAD_REQUEST);
    expect(again.info).toContain('attempt to set key [Value]  /Channel/Orderer/BatchSize to version 1, but key is at version 1');

    const second = await order(setup, 3, channelId, 20);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second]);
  }, 240_000);
});
