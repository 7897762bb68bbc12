import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { mapConfig } from '../../../src/block/configtx/configMap.js';
import type { ConfigGroup } from '../../../src/block/configtx/model.js';
import { decodeBlock, encodeBlock } from '../../../src/block/codec/block.js';
import { buildConfig, buildConfigEnvelope, buildGenesisBlock } from '../../../src/block/configtx/build.js';
import { decodeConfigEnvelope, encodeConfigEnvelope } from '../../../src/block/configtx/codec.js';
import { extractChannelConfig } from '../../../src/block/configtx/extract.js';
import { isConfigBlock } from '../../../src/block/blockMetadata.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import { readFileSync } from 'node:fs';
import { genesisBlockPath, hex } from '../fixtures.js';
import { makeTestChannel } from './helpers.js';

const provider = createCryptoProvider('native');

describe('buildConfigEnvelope / buildGenesisBlock', () => {
  it.each(['ecdsa-p256', 'sm2'] as const)('builds a %s genesis block that extractChannelConfig reads back to the same values', (algorithm) => {
    const { values } = makeTestChannel(algorithm);
    const block = buildGenesisBlock(values, provider.hasher(values.hashAlgorithm));
    expect(block.header.number).toBe(0);
    expect(isConfigBlock(block)).toBe(true);
    const back = extractChannelConfig(decodeBlock(encodeBlock(block)));
    expect(back).toEqual({ ...values, signatureAlgorithm: algorithm });
  });

  it('rebuilds the Fabric etcdraft genesis config from its values: a config with the same values, certificates included', () => {
    const fabric = extractChannelConfig(decodeBlock(readFileSync(genesisBlockPath)));
    const { signatureAlgorithm: _derived, ...input } = fabric;
    const rebuilt = extractChannelConfig(decodeBlock(encodeBlock(buildGenesisBlock(input, provider.hasher('sha256')))));
    expect(rebuilt).toEqual(fabric);
  });

  it('is deterministic: the same values give the same block bytes', () => {
    const { values } = makeTestChannel();
    const hasher = provider.hasher('sha256');
    expect(hex(encodeBlock(buildGenesisBlock(values, hasher)))).toBe(hex(encodeBlock(buildGenesisBlock({ ...values }, hasher))));
    const other = buildGenesisBlock({ ...values, channelId: 'other' }, hasher);
    expect(hex(encodeBlock(other))).not.toBe(hex(encodeBlock(buildGenesisBlock(values, hasher))));
  });

  it('writes map keys sorted and re-encodes byte-identically', () => {
    const { values } = makeTestChannel();
    const bytes = buildConfigEnvelope(values);
    const tree = decodeConfigEnvelope(bytes).config!.channelGroup!;
    expect([...tree.values.keys()]).toEqual([...tree.values.keys()].sort());
    expect([...tree.groups.keys()]).toEqual(['Application', 'Orderer']);
    expect([...tree.groups.get('Orderer')!.policies.keys()]).toEqual(['Admins', 'BlockValidation', 'Readers', 'Writers']);
    expect(hex(encodeConfigEnvelope(decodeConfigEnvelope(bytes)))).toBe(hex(bytes));
  });

  it('is a config fabric-protos reads: etcdraft consensus, options, batch values, MSP names, policies', () => {
    const { values } = makeTestChannel();
    const config = common.ConfigEnvelope.deserializeBinary(buildConfigEnvelope(values)).getConfig()!;
    const channel = config.getChannelGroup()!;
    expect(common.HashingAlgorithm.deserializeBinary(channel.getValuesMap().get('HashingAlgorithm')!.getValue_asU8()).getName()).toBe('SHA256');
    const ordererGroup = channel.getGroupsMap().get('Orderer')!;
    const consensus = orderer.ConsensusType.deserializeBinary(ordererGroup.getValuesMap().get('ConsensusType')!.getValue_asU8());
    expect(consensus.getType()).toBe('etcdraft');
    const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(consensus.getMetadata_asU8());
    expect(metadata.getOptions()!.getTickInterval()).toBe('500ms');
    expect(metadata.getOptions()!.getSnapshotIntervalSize()).toBe(values.raftOptions!.snapshotIntervalSizeBytes);
    expect(metadata.getConsentersList().map((c) => c.getPort())).toEqual(values.consenters.map((c) => c.port));
    expect(orderer.BatchTimeout.deserializeBinary(ordererGroup.getValuesMap().get('BatchTimeout')!.getValue_asU8()).getTimeout()).toBe('250ms');
    const org = ordererGroup.getGroupsMap().get('OrdererMSP')!;
    const fabricMsp = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(org.getValuesMap().get('MSP')!.getValue_asU8()).getConfig_asU8());
    expect(fabricMsp.getName()).toBe('OrdererMSP');
    expect(fabricMsp.getFabricNodeOus()!.getAdminOuIdentifier()!.getOrganizationalUnitIdentifier()).toBe('admin');
    const admins = common.Policy.deserializeBinary(org.getPoliciesMap().get('Admins')!.getPolicy()!.serializeBinary());
    expect(admins.getType()).toBe(common.Policy.PolicyType.SIGNATURE);
    const envelope = common.SignaturePolicyEnvelope.deserializeBinary(admins.getValue_asU8());
    const role = msp.MSPRole.deserializeBinary(envelope.getIdentitiesList()[0]!.getPrincipal_asU8());
    expect([role.getMspIdentifier(), role.getRole()]).toEqual(['OrdererMSP', msp.MSPRole.MSPRoleType.ADMIN]);
    expect(envelope.getRule()!.getNOutOf()!.getRulesList()[0]!.hasSignedBy()).toBe(true);
    const channelAdmins = common.ImplicitMetaPolicy.deserializeBinary(channel.getPoliciesMap().get('Admins')!.getPolicy()!.getValue_asU8());
    expect([channelAdmins.getSubPolicy(), channelAdmins.getRule()]).toEqual(['Admins', common.ImplicitMetaPolicy.Rule.MAJORITY]);
  });

  it("carries configtxgen's standard policies: ImplicitMeta at group level (/Channel/Orderer/Admins MAJORITY Admins), per-org signature policies, mod_policy Admins everywhere", () => {
    const { values } = makeTestChannel();
    const tree = buildConfig({ ...values, ordererAddresses: ['127.0.0.1:7050'] }).channelGroup!;
    const implicit = (group: ConfigGroup, name: string) => {
      const policy = common.Policy.deserializeBinary(group.policies.get(name)!.policy!);
      expect(policy.getType()).toBe(common.Policy.PolicyType.IMPLICIT_META);
      const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
      return `${['ANY', 'ALL', 'MAJORITY'][meta.getRule()]} ${meta.getSubPolicy()}`;
    };
    for (const group of [tree, tree.groups.get('Orderer')!, tree.groups.get('Application')!]) {
      expect([implicit(group, 'Admins'), implicit(group, 'Readers'), implicit(group, 'Writers')]).toEqual(['MAJORITY Admins', 'ANY Readers', 'ANY Writers']);
    }
    expect(implicit(tree.groups.get('Orderer')!, 'BlockValidation')).toBe('ANY Writers');
    for (const org of [tree.groups.get('Orderer')!.groups.get('OrdererMSP')!, tree.groups.get('Application')!.groups.get('Org1MSP')!]) {
      expect([...org.policies.keys()]).toEqual(['Admins', 'Readers', 'Writers']);
      for (const policy of org.policies.values()) expect(common.Policy.deserializeBinary(policy.policy!).getType()).toBe(common.Policy.PolicyType.SIGNATURE);
    }
    const modPolicies = new Map(
      [...mapConfig(tree, 'config')].map(([key, e]) => [
        key,
        e.kind === 'group' ? e.group.modPolicy : e.kind === 'value' ? e.value.modPolicy : e.policy.modPolicy,
      ]),
    );
    expect(modPolicies.get('[Value]  /Channel/OrdererAddresses')).toBe('/Channel/Orderer/Admins');
    modPolicies.delete('[Value]  /Channel/OrdererAddresses');
    expect(new Set(modPolicies.values())).toEqual(new Set(['Admins']));
  });
});
