// Which envelopes may become config blocks: Broadcast refuses what Fabric's
// msgprocessor refuses from a client (ORDERER_TRANSACTION: "no longer
// supported"; CONFIG: "cannot be processed directly"), so only the orderer's
// own CONFIG envelope, made from a client's CONFIG_UPDATE, is ever a config
// block and LAST_CONFIG.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  configEnvelopeOf,
  createSignedEnvelope,
  decodeBlock,
  decodeEnvelope,
  decodePayload,
  decodeSerializedIdentity,
  decodeSignatureHeader,
  HeaderType,
  isConfigBlock,
  readBlockSignatures,
  readConfigEnvelope,
} from '../../src/block/index.js';
import { parseCertificate } from '../../src/crypto/x509/certificate.js';
import { decodePem } from '../../src/crypto/pem.js';
import { applyConfigUpdate } from '../block/configtx/helpers.js';
import { CHANNEL, ConfigCluster } from './configCluster.js';

let c: ConfigCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('chain: message types as Fabric', () => {
  it("refuses a member's ORDERER_TRANSACTION and an admin's CONFIG envelope; neither becomes block 1 or LAST_CONFIG", async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const leader = await c.waitForLeader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;

    const ordererTx = createSignedEnvelope({
      type: HeaderType.ORDERER_TRANSACTION,
      channelId: CHANNEL,
      data: new Uint8Array(randomBytes(64)),
      creator: c.client,
    });
    for (const id of [leader, follower]) {
      expect(await c.chain(id).submit(ordererTx)).toEqual({ status: 'BAD_REQUEST', info: 'message is of type that is no longer supported' });
    }
    // A complete, correctly computed config, signed by the orderer org's admin: still not the client's to submit.
    const current = c.currentConfig(leader);
    const update = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 900 }));
    const config = configEnvelopeOf(CHANNEL, applyConfigUpdate(current, update).config, decodeEnvelope(update), c.admin);
    for (const id of [leader, follower]) {
      expect(await c.chain(id).submit(config)).toEqual({ status: 'BAD_REQUEST', info: 'message is of type that cannot be processed directly' });
    }

    await c.tick(20);
    for (const id of [1, 2, 3]) expect(c.chain(id).height()).toBe(1);
    const normal = c.envelope();
    expect((await c.chain(leader).submit(normal.bytes)).status).toBe('SUCCESS');
    await c.tickUntil(() => [1, 2, 3].every((id) => c!.chain(id).height() === 2), 60, 'block 1 everywhere');
    for (const id of [1, 2, 3]) {
      const block1 = decodeBlock(c.chain(id).block(1));
      expect(isConfigBlock(block1)).toBe(false);
      expect(readBlockSignatures(block1).lastConfigIndex).toBe(0);
      expect(c.txIds(id)).toEqual([normal.txId]);
      expect(c.currentConfig(id).values.batchTimeoutMs).toBe(current.values.batchTimeoutMs);
    }
  });

  it("orders a CONFIG_UPDATE as a CONFIG envelope signed by the orderer that received it, the client's envelope as last_update", async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const leader = await c.waitForLeader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const update = c.configUpdate(follower, (v) => ({ ...v, batchTimeoutMs: 900 }));
    expect(await c.chain(follower).submit(update)).toEqual({ status: 'SUCCESS', info: '' });
    await c.tickUntil(() => [1, 2, 3].every((id) => c!.chain(id).height() === 2), 60, 'the config block everywhere');

    const block = decodeBlock(c.chain(leader).block(1));
    expect(isConfigBlock(block)).toBe(true);
    const envelope = block.data[0]!;
    const creator = decodeSerializedIdentity(decodeSignatureHeader(decodePayload(decodeEnvelope(envelope).payload).header!.signatureHeader).creator);
    expect(creator.mspid).toBe('OrdererMSP');
    expect(parseCertificate(decodePem(new TextDecoder().decode(creator.idBytes), ['CERTIFICATE']).der).subject).toContain(`CN=orderer${follower}-signer`);
    const { configEnvelope } = readConfigEnvelope(envelope);
    expect(Buffer.from(configEnvelope.lastUpdate!.payload)).toEqual(Buffer.from(decodeEnvelope(update).payload));
    expect(configEnvelope.config!.sequence).toBe(1);
    for (const id of [1, 2, 3]) expect(c.currentConfig(id).values.batchTimeoutMs).toBe(900);
  });
});
