import { common } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { BlockCreator } from '../../../src/block/blockCreator.js';
import { BlockMetadataWriter } from '../../../src/block/blockMetadata.js';
import { decodeBlock, encodeBlock } from '../../../src/block/codec/block.js';
import { consenterIdsOf } from '../../../src/block/configtx/consenters.js';
import { encodeSerializedIdentity } from '../../../src/block/codec/common.js';
import { encodeConfigGroup } from '../../../src/block/configtx/codec.js';
import { isOrganizationAdmin } from '../../../src/block/configtx/admin.js';
import { buildGenesisBlock } from '../../../src/block/configtx/build.js';
import { ChannelConfigError } from '../../../src/block/configtx/errors.js';
import { buildConfigUpdateEnvelope, currentConfigOf, readConfigTransaction } from '../../../src/block/configtx/update.js';
import { validateConfigTransition } from '../../../src/block/configtx/transition.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import { hex } from '../fixtures.js';
import { etcdraftGenesis, makeTestChannel } from './helpers.js';

const provider = createCryptoProvider('native');
const channel = makeTestChannel();
const genesis = decodeBlock(encodeBlock(buildGenesisBlock(channel.values, provider.hasher('sha256'))));
const adminIdentity = channel.ordererOrg.issueMember('Admin2@orderer', { organizationalUnit: 'admin' });
const creator = { signer: adminIdentity.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: adminIdentity.idBytes }) };
const verifier = provider.verifier('ecdsa-p256');

describe('config update envelopes', () => {
  it('carries the next config with sequence + 1, validated against the current one, with every signature verifiable', () => {
    const current = currentConfigOf(genesis);
    const c4 = channel.consenter(4);
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, consenters: [...current.values.consenters, c4], batchTimeoutMs: 100 }, creator);
    const tx = readConfigTransaction(envelope);
    expect(tx.channelId).toBe('ch1');
    expect(tx.values.sequence).toBe(1);
    expect(tx.values.batchTimeoutMs).toBe(100);
    expect(tx.values.consenters.at(-1)).toEqual(c4);
    const result = validateConfigTransition(current.values, tx.values, { creatorMspId: 'OrdererMSP', creatorIsAdmin: true });
    expect(result.consenters.added?.id).toBe(4);
    for (const signed of [tx.envelopeSignature, ...tx.updateSignatures]) {
      expect(verifier.verify(adminIdentity.signer.publicKey, signed.data, signed.signature)).toBe(true);
    }
    expect(tx.updateSignatures).toHaveLength(1);
  });

  it('bumps the versions of changed elements only, as Fabric, and lists them in the write set', () => {
    const current = currentConfigOf(genesis);
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, batchTimeoutMs: 100 }, creator);
    const tx = readConfigTransaction(envelope);
    const ordererGroup = tx.config.channelGroup!.groups.get('Orderer')!;
    expect(ordererGroup.values.get('BatchTimeout')!.version).toBe(1);
    expect(ordererGroup.values.get('BatchSize')!.version).toBe(0);
    expect(ordererGroup.version).toBe(0);
    // The write set, read with fabric-protos from the signed last update.
    const lastUpdate = common.ConfigEnvelope.deserializeBinary(common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8()).getData_asU8()).getLastUpdate()!;
    const updateEnvelope = common.ConfigUpdateEnvelope.deserializeBinary(common.Payload.deserializeBinary(lastUpdate.getPayload_asU8()).getData_asU8());
    const update = common.ConfigUpdate.deserializeBinary(updateEnvelope.getConfigUpdate_asU8());
    const written = update.getWriteSet()!.getGroupsMap().get('Orderer')!;
    expect([...written.getValuesMap().keys()]).toEqual(['BatchTimeout']);
    expect(written.getValuesMap().get('BatchTimeout')!.getVersion()).toBe(1);
    expect(update.getReadSet()!.getGroupsMap().has('Orderer')).toBe(true);
  });

  it('bumps the version of a group whose members change (an organization added)', () => {
    const current = currentConfigOf(genesis);
    const org2 = makeTestChannel('ecdsa-p256').appOrg;
    const organizations = [...current.values.organizations, { mspId: 'Org2MSP', sections: ['application' as const], rootCerts: [org2.root.certPem], intermediateCerts: [], adminCerts: [], tlsRootCerts: [], tlsIntermediateCerts: [] }];
    const tx = readConfigTransaction(buildConfigUpdateEnvelope(current, { ...current.values, organizations }, creator));
    expect(tx.config.channelGroup!.groups.get('Application')!.version).toBe(1);
    expect(tx.values.organizations.map((o) => o.mspId)).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
  });

  it('keeps what it does not model when updating a Fabric config (ACL-free etcdraft genesis: consortium and policies stay)', () => {
    const current = currentConfigOf(etcdraftGenesis());
    const tx = readConfigTransaction(buildConfigUpdateEnvelope(current, { ...current.values, batchTimeoutMs: 1500 }, creator));
    const before = current.config.channelGroup!;
    const after = tx.config.channelGroup!;
    expect(after.values.get('Consortium')).toEqual(before.values.get('Consortium'));
    expect([...after.groups.get('Orderer')!.policies.keys()]).toEqual([...before.groups.get('Orderer')!.policies.keys()]);
    expect(hex(encodeConfigGroup(after.groups.get('Application')!))).toBe(hex(encodeConfigGroup(before.groups.get('Application')!)));
    expect(hex(after.groups.get('Orderer')!.values.get('ConsensusType')!.value)).toBe(hex(before.groups.get('Orderer')!.values.get('ConsensusType')!.value));
    expect(tx.values.raftOptions).toEqual(current.values.raftOptions);
    expect(tx.values).toEqual({ ...current.values, sequence: current.values.sequence + 1, batchTimeoutMs: 1500 });
  });

  it('refuses an update that changes nothing', () => {
    const current = currentConfigOf(genesis);
    expect(() => buildConfigUpdateEnvelope(current, current.values, creator)).toThrow(ChannelConfigError);
  });
});

describe('isOrganizationAdmin', () => {
  const orderer = currentConfigOf(genesis).values.organizations[0]!;
  it('accepts a certificate listed in admins and one with the admin OU', () => {
    expect(isOrganizationAdmin(orderer, orderer.adminCerts[0]!)).toBe(true);
    expect(isOrganizationAdmin(orderer, adminIdentity.certPem)).toBe(true);
  });

  it('refuses a member without the admin OU, and the admin OU when NodeOUs are off', () => {
    const member = channel.ordererOrg.issueMember('peer0', { organizationalUnit: 'peer' });
    expect(isOrganizationAdmin(orderer, member.certPem)).toBe(false);
    const { adminOu: _ignored, ...withoutNodeOus } = orderer;
    expect(isOrganizationAdmin(withoutNodeOus, adminIdentity.certPem)).toBe(false);
  });
});

describe('consenterIdsOf', () => {
  it('reads the ids a block was written with, and gives a genesis block 1..n', () => {
    const current = currentConfigOf(genesis);
    expect(consenterIdsOf(genesis, current.values.consenters)).toEqual({ consenterIds: [1, 2, 3], nextConsenterId: 4 });
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, consenters: [...current.values.consenters, channel.consenter(4)] }, creator);
    const hasher = provider.hasher('sha256');
    const block = new BlockCreator(hasher, genesis.header).createNextBlock([envelope]);
    const orderer = channel.ordererOrg.issueMember('orderer1');
    const writer = new BlockMetadataWriter({ identity: { signer: orderer.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: orderer.idBytes }) }, lastConfigBlockNumber: 0 });
    const written = writer.write(block, { consenterIds: [1, 2, 3, 4], nextConsenterId: 5, raftIndex: 7 });
    const next = currentConfigOf(decodeBlock(encodeBlock(written)));
    expect(next.values.sequence).toBe(1);
    expect(consenterIdsOf(written, next.values.consenters)).toEqual({ consenterIds: [1, 2, 3, 4], nextConsenterId: 5 });
  });
});
