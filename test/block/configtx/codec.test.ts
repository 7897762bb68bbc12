import fc from 'fast-check';
import { common } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import {
  decodeConfigEnvelope,
  decodeConfigUpdate,
  encodeConfigEnvelope,
  encodeConfigGroup,
  encodeConfigUpdate,
  decodeConfigGroup,
  CONFIG_GROUP_DEPTH_MAX,
} from '../../../src/block/configtx/codec.js';
import type { ConfigGroup } from '../../../src/block/configtx/model.js';
import { MalformedMessageError } from '../../../src/block/errors.js';
import { hex } from '../fixtures.js';
import { configEnvelopeBytes, etcdraftGenesis, readBlock, sampleBlock0Path } from './helpers.js';

const group = (version: number, groups: [string, ConfigGroup][] = []): ConfigGroup => ({
  version,
  groups: new Map(groups),
  values: new Map(),
  policies: new Map(),
  modPolicy: 'Admins',
});

describe('config tree codec', () => {
  it.each([
    ['etcdraft genesis', etcdraftGenesis],
    ['ledger-sample block 0', () => readBlock(sampleBlock0Path)],
  ])('re-encodes the ConfigEnvelope of the %s byte-identically', (_name, load) => {
    const bytes = configEnvelopeBytes(load());
    const decoded = decodeConfigEnvelope(bytes);
    expect(decoded.config?.channelGroup?.groups.has('Orderer')).toBe(true);
    expect(decoded.lastUpdate?.payload.length).toBeGreaterThan(0);
    expect(hex(encodeConfigEnvelope(decoded))).toBe(hex(bytes));
  });

  it('reads the same tree as fabric-protos: sequence, group names, value and policy keys, versions', () => {
    const bytes = configEnvelopeBytes(etcdraftGenesis());
    const ours = decodeConfigEnvelope(bytes).config!;
    const theirs = common.ConfigEnvelope.deserializeBinary(bytes).getConfig()!;
    expect(ours.sequence).toBe(theirs.getSequence());
    const walk = (a: ConfigGroup, b: common.ConfigGroup): void => {
      expect(a.version).toBe(b.getVersion());
      expect(a.modPolicy).toBe(b.getModPolicy());
      expect([...a.values.keys()].sort()).toEqual([...b.getValuesMap().keys()].sort());
      expect([...a.policies.keys()].sort()).toEqual([...b.getPoliciesMap().keys()].sort());
      for (const [k, v] of a.values) expect(hex(v.value)).toBe(hex(b.getValuesMap().get(k)!.getValue_asU8()));
      expect([...a.groups.keys()].sort()).toEqual([...b.getGroupsMap().keys()].sort());
      for (const [k, g] of a.groups) walk(g, b.getGroupsMap().get(k)!);
    };
    walk(ours.channelGroup!, theirs.getChannelGroup()!);
  });

  it('keeps map entries in wire order, so a non-sorted map re-encodes as it came', () => {
    const unsorted = group(1, [
      ['Zeta', group(0)],
      ['Alpha', group(2)],
    ]);
    const bytes = encodeConfigGroup(unsorted);
    const decoded = decodeConfigGroup(bytes);
    expect([...decoded.groups.keys()]).toEqual(['Zeta', 'Alpha']);
    expect(hex(encodeConfigGroup(decoded))).toBe(hex(bytes));
    // fabric-protos reads our encoding to the same tree.
    const lib = common.ConfigGroup.deserializeBinary(bytes);
    expect(lib.getGroupsMap().get('Alpha')!.getVersion()).toBe(2);
    expect(lib.getVersion()).toBe(1);
  });

  it('refuses groups nested deeper than the bound, naming the path', () => {
    let g = group(0);
    for (let i = 0; i < CONFIG_GROUP_DEPTH_MAX + 1; i++) g = group(0, [['g', g]]);
    const bytes = encodeConfigGroup(g);
    expect(() => decodeConfigGroup(bytes)).toThrow(MalformedMessageError);
    expect(() => decodeConfigGroup(bytes)).toThrow(/channel_group(\.groups\.g)+\.groups: config groups nested deeper than 16/);
  });

  it('names the field of a truncated value', () => {
    const bytes = configEnvelopeBytes(etcdraftGenesis());
    expect(() => decodeConfigEnvelope(bytes.subarray(0, bytes.length - 3000))).toThrow(MalformedMessageError);
  });

  it('round-trips a ConfigUpdate with read and write sets and isolated data, readable by fabric-protos', () => {
    const update = {
      channelId: 'ch1',
      readSet: group(0, [['Orderer', group(3)]]),
      writeSet: group(0, [['Orderer', group(4)]]),
      isolatedData: new Map([['k', Uint8Array.of(1, 2)]]),
    };
    const bytes = encodeConfigUpdate(update);
    const back = decodeConfigUpdate(bytes);
    expect(back.channelId).toBe('ch1');
    expect(back.writeSet?.groups.get('Orderer')?.version).toBe(4);
    expect([...back.isolatedData.get('k')!]).toEqual([1, 2]);
    const lib = common.ConfigUpdate.deserializeBinary(bytes);
    expect(lib.getReadSet()!.getGroupsMap().get('Orderer')!.getVersion()).toBe(3);
    expect(lib.getChannelId()).toBe('ch1');
  });
});

describe('config codec under corrupted input', () => {
  it('property: a corrupted genesis config decodes, or fails with MalformedMessageError — never another error', () => {
    const bytes = configEnvelopeBytes(etcdraftGenesis());
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(bytes.length), (at, byte, cut) => {
        const corrupted = Uint8Array.from(bytes.subarray(0, Math.max(cut, at + 1)));
        corrupted[at] = byte;
        try {
          const decoded = decodeConfigEnvelope(corrupted);
          // Whatever decodes re-encodes without throwing.
          encodeConfigEnvelope(decoded);
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedMessageError);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
