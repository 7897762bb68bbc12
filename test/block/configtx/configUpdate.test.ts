// Config updates processed as Fabric's configtx processes them
// (proposeConfigUpdate), with CONFIG_UPDATEs made by a client that only uses
// @hyperledger/fabric-protos (configtxlator compute_update + signconfigtx):
// the read set's versions, the delta set's versions, each changed element's
// mod_policy over the ConfigSignatures, and the next config.

import { common } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../../src/block/codec/common.js';
import { encodeBlock } from '../../../src/block/codec/block.js';
import { buildGenesisBlock, type ChannelConfigInput } from '../../../src/block/configtx/build.js';
import { proposeConfigUpdate } from '../../../src/block/configtx/configUpdate.js';
import { ConfigUpdateError } from '../../../src/block/configtx/errors.js';
import { currentConfigOf } from '../../../src/block/configtx/update.js';
import { decodeBlock } from '../../../src/block/codec/block.js';
import { DevOrganization, type DevIdentity } from '../../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import { computeUpdate, configOfBlock, configUpdateEnvelope, signConfigUpdate, withMaxMessageCount, type FabricSigner } from '../../support/fabricConfigTx.js';
import { applyConfigUpdate, makeTestChannel, policiesOfConfig } from './helpers.js';

const provider = createCryptoProvider('native');
const channel = makeTestChannel();
const orderer2 = new DevOrganization({ mspId: 'Orderer2MSP', algorithm: 'ecdsa-p256', provider });
const values: ChannelConfigInput = {
  ...channel.values,
  organizations: [
    ...channel.values.organizations,
    {
      mspId: 'Orderer2MSP',
      sections: ['orderer'],
      rootCerts: [orderer2.root.certPem],
      intermediateCerts: [],
      adminCerts: [],
      tlsRootCerts: [orderer2.root.certPem],
      tlsIntermediateCerts: [],
      adminOu: 'admin',
    },
  ],
};
const genesisBytes = encodeBlock(buildGenesisBlock(values, provider.hasher('sha256')));
const current = currentConfigOf(decodeBlock(genesisBytes));

const fabricSigner = (id: DevIdentity): FabricSigner => ({ mspId: id.mspId, certPem: id.certPem, sign: (m) => id.signer.sign(m) });
const ordererAdmin = fabricSigner(channel.ordererOrg.issueMember('Admin2@orderer', { organizationalUnit: 'admin' }));
const orderer2Admin = fabricSigner(orderer2.issueMember('Admin@orderer2', { organizationalUnit: 'admin' }));

/** configtxlator + signconfigtx + channel update, with fabric-protos only. */
function clientUpdate(
  base: common.Config,
  change: (c: common.Config) => common.Config,
  signers: FabricSigner[],
  tamper?: (u: common.ConfigUpdate) => void,
): Uint8Array {
  const update = computeUpdate('ch1', base, change(base));
  tamper?.(update);
  const bytes = update.serializeBinary();
  return configUpdateEnvelope(
    'ch1',
    bytes,
    signers.map((s) => signConfigUpdate(bytes, s)),
    signers[0]!,
  );
}

function refusal(run: () => unknown): ConfigUpdateError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigUpdateError) return err;
    throw err;
  }
  throw new Error('expected the update to be refused');
}

const PREFIX = "error applying config update to existing channel 'ch1': error authorizing update: ";
const base = configOfBlock(genesisBytes);

describe('config updates as Fabric processes them (client: fabric-protos only)', () => {
  it('signed by fewer orderer admins than MAJORITY: FORBIDDEN naming /Channel/Orderer/Admins', () => {
    const envelope = clientUpdate(base, (c) => withMaxMessageCount(c, 7), [ordererAdmin]);
    const err = refusal(() => applyConfigUpdate(current, envelope));
    expect(err.forbidden).toBe(true);
    expect(err.message).toBe(
      `${PREFIX}error validating DeltaSet: policy for [Value]  /Channel/Orderer/BatchSize not satisfied: mod_policy /Channel/Orderer/Admins: ` +
        "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2 of the 'Admins' sub-policies to be satisfied",
    );
  });

  it('signed by enough admins: the next config, sequence + 1, the changed value at version 1 and nothing else changed', () => {
    const envelope = clientUpdate(base, (c) => withMaxMessageCount(c, 7), [ordererAdmin, orderer2Admin]);
    const next = applyConfigUpdate(current, envelope);
    expect(next.config.sequence).toBe(1);
    expect(next.values.batchSize.maxMessageCount).toBe(7);
    expect(next.values).toEqual({ ...current.values, sequence: 1, batchSize: { ...current.values.batchSize, maxMessageCount: 7 } });
    const ordererGroup = next.config.channelGroup!.groups.get('Orderer')!;
    expect(ordererGroup.values.get('BatchSize')!.version).toBe(1);
    expect(ordererGroup.version).toBe(0);
    expect(ordererGroup.values.get('BatchTimeout')).toEqual(current.config.channelGroup!.groups.get('Orderer')!.values.get('BatchTimeout'));
  });

  it('refuses a read set naming a version that is not current', () => {
    const envelope = clientUpdate(
      base,
      (c) => withMaxMessageCount(c, 7),
      [ordererAdmin, orderer2Admin],
      (u) => u.getReadSet()!.getGroupsMap().get('Orderer')!.setVersion(3),
    );
    const err = refusal(() => applyConfigUpdate(current, envelope));
    expect(err.forbidden).toBe(false);
    expect(err.message).toBe(
      `${PREFIX}error validating ReadSet: proposed update requires that key [Group]  /Channel/Orderer be at version 3, but it is currently at version 0`,
    );
  });

  it('refuses an update computed from an older config (the element is already at the version it writes)', () => {
    const first = applyConfigUpdate(
      current,
      clientUpdate(base, (c) => withMaxMessageCount(c, 7), [ordererAdmin, orderer2Admin]),
    );
    const stale = clientUpdate(base, (c) => withMaxMessageCount(c, 9), [ordererAdmin, orderer2Admin]);
    const err = refusal(() => proposeConfigUpdate('ch1', first.config, decodeEnvelope(stale), policiesOfConfig(first.config), new Date()));
    expect(err.message).toBe(
      `${PREFIX}error validating DeltaSet: attempt to set key [Value]  /Channel/Orderer/BatchSize to version 1, but key is at version 1`,
    );
  });

  it('refuses an update that writes nothing new, and a new element not at version 0', () => {
    const empty = clientUpdate(
      base,
      (c) => withMaxMessageCount(c, 7),
      [ordererAdmin],
      (u) => {
        u.setWriteSet(u.getReadSet());
      },
    );
    expect(refusal(() => applyConfigUpdate(current, empty)).message).toBe(
      `${PREFIX}error validating DeltaSet: delta set was empty -- update would have no effect`,
    );
    const fresh = clientUpdate(
      base,
      (c) => withMaxMessageCount(c, 7),
      [ordererAdmin, orderer2Admin],
      (u) => {
        const value = new common.ConfigValue();
        value.setVersion(2);
        value.setModPolicy('Admins');
        u.getWriteSet()!.getGroupsMap().get('Orderer')!.getValuesMap().set('Extra', value);
      },
    );
    expect(refusal(() => applyConfigUpdate(current, fresh)).message).toBe(
      `${PREFIX}error validating DeltaSet: attempted to set key [Value]  /Channel/Orderer/Extra to version 2, but key does not exist`,
    );
  });

  it('refuses an update for another channel', () => {
    const envelope = clientUpdate(
      base,
      (c) => withMaxMessageCount(c, 7),
      [ordererAdmin],
      (u) => u.setChannelId('other'),
    );
    expect(refusal(() => applyConfigUpdate(current, envelope)).message).toBe(`${PREFIX}ConfigUpdate for channel 'other' but envelope for channel 'ch1'`);
  });
});
