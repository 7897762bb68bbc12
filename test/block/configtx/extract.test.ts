import { common, orderer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { decodeConfigEnvelope, encodeConfigEnvelope } from '../../../src/block/configtx/codec.js';
import { ChannelConfigError } from '../../../src/block/configtx/errors.js';
import { extractChannelConfig } from '../../../src/block/configtx/extract.js';
import type { ConfigGroup, ConfigValue } from '../../../src/block/configtx/model.js';
import { encodeBatchTimeout } from '../../../src/block/configtx/values.js';
import { createSignedEnvelope } from '../../../src/block/envelopeBuilder.js';
import { HeaderType } from '../../../src/block/model.js';
import { configEnvelopeBytes, etcdraftGenesis, readBlock, sampleBlock0Path } from './helpers.js';

const libOrdererValue = (bytes: Uint8Array, name: string): Uint8Array =>
  common.ConfigEnvelope.deserializeBinary(bytes).getConfig()!.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get(name)!.getValue_asU8();

/** The genesis config with the Orderer group's values edited, as a CONFIG envelope. */
function editedGenesis(edit: (values: Map<string, ConfigValue>) => void): Uint8Array {
  const envelope = decodeConfigEnvelope(configEnvelopeBytes(etcdraftGenesis()));
  const channel = envelope.config!.channelGroup!;
  const ordererGroup = channel.groups.get('Orderer')!;
  const values = new Map(ordererGroup.values);
  edit(values);
  const groups = new Map<string, ConfigGroup>(channel.groups).set('Orderer', { ...ordererGroup, values });
  const data = encodeConfigEnvelope({ config: { sequence: 1, channelGroup: { ...channel, groups } } });
  return createSignedEnvelope({ type: HeaderType.CONFIG, channelId: 'testchannel', data });
}

describe('extractChannelConfig', () => {
  it('reads the etcdraft genesis block: channel, consenters, batch size, timeout, raft options, orgs, hash', () => {
    const bytes = configEnvelopeBytes(etcdraftGenesis());
    const values = extractChannelConfig(etcdraftGenesis());
    expect(values.channelId).toBe('testchannel');
    expect(values.sequence).toBe(common.ConfigEnvelope.deserializeBinary(bytes).getConfig()!.getSequence());
    expect(values.consensusType).toBe('etcdraft');
    const libBatch = orderer.BatchSize.deserializeBinary(libOrdererValue(bytes, 'BatchSize'));
    expect(values.batchSize).toEqual({
      maxMessageCount: libBatch.getMaxMessageCount(),
      absoluteMaxBytes: libBatch.getAbsoluteMaxBytes(),
      preferredMaxBytes: libBatch.getPreferredMaxBytes(),
    });
    expect(orderer.BatchTimeout.deserializeBinary(libOrdererValue(bytes, 'BatchTimeout')).getTimeout()).toBe('1s');
    expect(values.batchTimeoutMs).toBe(1000);
    expect(values.consenters.map((c) => `${c.host}:${c.port}`)).toEqual(['127.0.0.1:33000', '127.0.0.1:33002', '127.0.0.1:33004']);
    for (const c of values.consenters) {
      expect(c.clientTlsCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(c.serverTlsCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    }
    // This block predates Fabric 1.4.1: tick_interval is a uint64 of milliseconds.
    expect(values.raftOptions).toEqual({ tickIntervalMs: 100, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 256, snapshotIntervalSizeBytes: 1048576 });
    expect(values.organizations.map((o) => [o.mspId, o.sections])).toEqual([
      ['OrdererMSP', ['orderer']],
      ['Org1MSP', ['application']],
      ['Org2MSP', ['application']],
    ]);
    for (const org of values.organizations) {
      expect(org.rootCerts.length).toBe(1);
      expect(org.adminCerts.length).toBe(1);
    }
    expect(values.hashAlgorithm).toBe('sha256');
    expect(values.signatureAlgorithm).toBe('ecdsa-p256');
    expect(values.ordererAddresses).toEqual(['127.0.0.1:33000', '127.0.0.1:33002', '127.0.0.1:33004']);
  });

  it('reads the same values from the block and from its CONFIG envelope', () => {
    const block = etcdraftGenesis();
    expect(extractChannelConfig(block.data[0]!)).toEqual(extractChannelConfig(block));
  });

  it('reads block 0 of ledger-sample: a solo channel, one org in both sections with its orderer endpoint', () => {
    const values = extractChannelConfig(readBlock(sampleBlock0Path));
    expect(values.channelId).toBe('mychannel');
    expect(values.consensusType).toBe('solo');
    expect(values.consenters).toEqual([]);
    expect(values.raftOptions).toBeUndefined();
    expect(values.batchSize).toEqual({ maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 });
    expect(values.batchTimeoutMs).toBe(2000);
    expect(values.organizations).toHaveLength(1);
    expect(values.organizations[0]!.mspId).toBe('SampleOrg');
    expect(values.organizations[0]!.sections).toEqual(['orderer', 'application']);
    expect(values.organizations[0]!.ordererEndpoints).toEqual(['127.0.0.1:7050']);
    expect(values.capabilities.channel).toEqual(['V2_0']);
  });

  it('names the config path of a missing value', () => {
    const envelope = editedGenesis((values) => values.delete('BatchSize'));
    expect(() => extractChannelConfig(envelope)).toThrow(ChannelConfigError);
    expect(() => extractChannelConfig(envelope)).toThrow('channel_group.groups.Orderer.values.BatchSize: missing');
  });

  it('names the config path of a bad batch timeout', () => {
    const envelope = editedGenesis((values) => values.set('BatchTimeout', { version: 0, modPolicy: 'Admins', value: encodeBatchTimeout({ timeout: 'soon' }) }));
    expect(() => extractChannelConfig(envelope)).toThrow('channel_group.groups.Orderer.values.BatchTimeout: timeout "soon" is not a positive duration');
  });

  it('names the field of a value that is not protobuf', () => {
    const envelope = editedGenesis((values) => values.set('BatchSize', { version: 0, modPolicy: 'Admins', value: Uint8Array.of(0x08) }));
    expect(() => extractChannelConfig(envelope)).toThrow(/channel_group\.groups\.Orderer\.values\.BatchSize\.value\.max_message_count: truncated varint/);
  });

  it('refuses an envelope that is not of type CONFIG', () => {
    const envelope = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'c', data: new Uint8Array(0) });
    expect(() => extractChannelConfig(envelope)).toThrow(/channel_header\.type: is 3/);
  });
});
