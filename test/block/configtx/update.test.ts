import { common } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { BlockCreator } from '../../../src/block/blockCreator.js';
import { BlockMetadataWriter } from '../../../src/block/blockMetadata.js';
import { decodeBlock, encodeBlock } from '../../../src/block/codec/block.js';
import { consenterIdsOf } from '../../../src/block/configtx/consenters.js';
import { decodeEnvelope, encodeSerializedIdentity } from '../../../src/block/codec/common.js';
import { encodeConfigGroup } from '../../../src/block/configtx/codec.js';
import { isOrganizationAdmin } from '../../../src/block/configtx/admin.js';
import { buildGenesisBlock } from '../../../src/block/configtx/build.js';
import { ChannelConfigError } from '../../../src/block/configtx/errors.js';
import { buildConfigUpdateEnvelope, configEnvelopeOf, currentConfigOf } from '../../../src/block/configtx/update.js';
import type { ConfigUpdatePolicies } from '../../../src/block/configtx/configUpdate.js';
import type { PolicyManager } from '../../../src/block/configtx/policy/index.js';
import { validateConfigTransition } from '../../../src/block/configtx/transition.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import { hex } from '../fixtures.js';
import { applyConfigUpdate, etcdraftGenesis, makeTestChannel, policiesOfConfig } from './helpers.js';

const provider = createCryptoProvider('native');
const channel = makeTestChannel();
const genesis = decodeBlock(encodeBlock(buildGenesisBlock(channel.values, provider.hasher('sha256'))));
const adminIdentity = channel.ordererOrg.issueMember('Admin2@orderer', { organizationalUnit: 'admin' });
const creator = { signer: adminIdentity.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: adminIdentity.idBytes }) };
const verifier = provider.verifier('ecdsa-p256');

describe('config update envelopes', () => {
  it('is a signed CONFIG_UPDATE whose ConfigSignatures verify; the orderer makes the next config of it with sequence + 1', () => {
    const current = currentConfigOf(genesis);
    const c4 = channel.consenter(4);
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, consenters: [...current.values.consenters, c4], batchTimeoutMs: 100 }, creator);
    const outer = common.Envelope.deserializeBinary(envelope);
    const payload = common.Payload.deserializeBinary(outer.getPayload_asU8());
    expect(common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getType()).toBe(common.HeaderType.CONFIG_UPDATE);
    expect(verifier.verify(adminIdentity.signer.publicKey, outer.getPayload_asU8(), outer.getSignature_asU8())).toBe(true);
    const updateEnvelope = common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8());
    expect(updateEnvelope.getSignaturesList()).toHaveLength(1);
    const sig = updateEnvelope.getSignaturesList()[0]!;
    const signed = new Uint8Array([...sig.getSignatureHeader_asU8(), ...updateEnvelope.getConfigUpdate_asU8()]);
    expect(verifier.verify(adminIdentity.signer.publicKey, signed, sig.getSignature_asU8())).toBe(true);

    const next = applyConfigUpdate(current, envelope);
    expect(next.values.sequence).toBe(1);
    expect(next.values.batchTimeoutMs).toBe(100);
    expect(next.values.consenters.at(-1)).toEqual(c4);
    expect(validateConfigTransition(current.values, next.values).consenters.added?.id).toBe(4);
  });

  it('carries one ConfigSignature per signer, the envelope signed by the first', () => {
    const current = currentConfigOf(genesis);
    const other = channel.appOrg.issueMember('Admin@org1', { organizationalUnit: 'admin' });
    const second = { signer: other.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: other.idBytes }) };
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, batchTimeoutMs: 100 }, [creator, second]);
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8());
    const creators = common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8())
      .getSignaturesList()
      .map((s) => common.SignatureHeader.deserializeBinary(s.getSignatureHeader_asU8()).getCreator_asU8());
    expect(creators.map(hex)).toEqual([hex(creator.serializedIdentity), hex(second.serializedIdentity)]);
    expect(hex(common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8()).getCreator_asU8())).toBe(
      hex(creator.serializedIdentity),
    );
  });

  it('bumps the versions of changed elements only, as Fabric, and lists them in the write set', () => {
    const current = currentConfigOf(genesis);
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, batchTimeoutMs: 100 }, creator);
    const ordererGroup = applyConfigUpdate(current, envelope).config.channelGroup!.groups.get('Orderer')!;
    expect(ordererGroup.values.get('BatchTimeout')!.version).toBe(1);
    expect(ordererGroup.values.get('BatchSize')!.version).toBe(0);
    expect(ordererGroup.version).toBe(0);
    // The write set, read with fabric-protos.
    const updateEnvelope = common.ConfigUpdateEnvelope.deserializeBinary(
      common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8()).getData_asU8(),
    );
    const update = common.ConfigUpdate.deserializeBinary(updateEnvelope.getConfigUpdate_asU8());
    const written = update.getWriteSet()!.getGroupsMap().get('Orderer')!;
    expect([...written.getValuesMap().keys()]).toEqual(['BatchTimeout']);
    expect(written.getValuesMap().get('BatchTimeout')!.getVersion()).toBe(1);
    expect(update.getReadSet()!.getGroupsMap().has('Orderer')).toBe(true);
  });

  it('bumps the version of a group whose members change (an organization added); unchanged members are read and written at their version', () => {
    const current = currentConfigOf(genesis);
    const org2 = makeTestChannel('ecdsa-p256').appOrg;
    const organizations = [
      ...current.values.organizations,
      {
        mspId: 'Org2MSP',
        sections: ['application' as const],
        rootCerts: [org2.root.certPem],
        intermediateCerts: [],
        adminCerts: [],
        tlsRootCerts: [],
        tlsIntermediateCerts: [],
      },
    ];
    const signer = { signer: channel.appAdmin.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: channel.appAdmin.idBytes }) };
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, organizations }, signer);
    const next = applyConfigUpdate(current, envelope);
    expect(next.config.channelGroup!.groups.get('Application')!.version).toBe(1);
    expect(next.values.organizations.map((o) => o.mspId)).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
    const update = common.ConfigUpdate.deserializeBinary(
      common.ConfigUpdateEnvelope.deserializeBinary(
        common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8()).getData_asU8(),
      ).getConfigUpdate_asU8(),
    );
    const read = update.getReadSet()!.getGroupsMap().get('Application')!;
    const written = update.getWriteSet()!.getGroupsMap().get('Application')!;
    expect(written.getVersion()).toBe(1);
    expect([...written.getGroupsMap().keys()].sort()).toEqual(['Org1MSP', 'Org2MSP']);
    expect([...read.getGroupsMap().keys()]).toEqual(['Org1MSP']);
    expect([...read.getPoliciesMap().keys()].sort()).toEqual(['Admins', 'Readers', 'Writers']);
  });

  it('keeps what it does not model when updating a Fabric config (etcdraft genesis: consortium and policies stay)', () => {
    const current = currentConfigOf(etcdraftGenesis());
    const envelope = buildConfigUpdateEnvelope(current, { ...current.values, batchTimeoutMs: 1500 }, creator);
    // The sample's admins' keys are not at hand: this test is about the tree the update produces, so every policy passes here.
    const anyone: ConfigUpdatePolicies = {
      ...policiesOfConfig(current.config),
      manager: { policy: (id: string) => ({ path: id, evaluate: () => undefined }) } as unknown as PolicyManager,
    };
    const next = applyConfigUpdate(current, envelope, anyone);
    const before = current.config.channelGroup!;
    const after = next.config.channelGroup!;
    expect(after.values.get('Consortium')).toEqual(before.values.get('Consortium'));
    expect([...after.groups.get('Orderer')!.policies.keys()]).toEqual([...before.groups.get('Orderer')!.policies.keys()]);
    expect(hex(encodeConfigGroup(after.groups.get('Application')!))).toBe(hex(encodeConfigGroup(before.groups.get('Application')!)));
    expect(hex(after.groups.get('Orderer')!.values.get('ConsensusType')!.value)).toBe(hex(before.groups.get('Orderer')!.values.get('ConsensusType')!.value));
    expect(next.values.raftOptions).toEqual(current.values.raftOptions);
    expect(next.values).toEqual({ ...current.values, sequence: current.values.sequence + 1, batchTimeoutMs: 1500 });
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
    const update = buildConfigUpdateEnvelope(current, { ...current.values, consenters: [...current.values.consenters, channel.consenter(4)] }, creator);
    const orderer = channel.ordererOrg.issueMember('orderer1');
    const identity = { signer: orderer.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: orderer.idBytes }) };
    const envelope = configEnvelopeOf('ch1', applyConfigUpdate(current, update).config, decodeEnvelope(update), identity);
    const hasher = provider.hasher('sha256');
    const block = new BlockCreator(hasher, genesis.header).createNextBlock([envelope]);
    const writer = new BlockMetadataWriter({ identity, lastConfigBlockNumber: 0 });
    const written = writer.write(block, { consenterIds: [1, 2, 3, 4], nextConsenterId: 5, raftIndex: 7 });
    const next = currentConfigOf(decodeBlock(encodeBlock(written)));
    expect(next.values.sequence).toBe(1);
    expect(consenterIdsOf(written, next.values.consenters)).toEqual({ consenterIds: [1, 2, 3, 4], nextConsenterId: 5 });
  });
});
