// A config update made the way Fabric's own tools make it, with
// @hyperledger/fabric-protos only (no code of this orderer): read the config
// from a config block, modify it, compute the ConfigUpdate as configtxlator's
// compute_update does, collect a ConfigSignature per admin (peer channel
// signconfigtx) and wrap it in the CONFIG_UPDATE envelope peer channel update
// broadcasts. Signing is a callback (bytes → DER signature).

import { randomBytes } from 'node:crypto';
import { common, msp, orderer } from '@hyperledger/fabric-protos';

export interface FabricSigner {
  readonly mspId: string;
  /** PEM certificate. */
  readonly certPem: string;
  sign(message: Uint8Array): Uint8Array;
}

/** The Config of a marshaled config block (its one CONFIG envelope). */
export function configOfBlock(blockBytes: Uint8Array): common.Config {
  const block = common.Block.deserializeBinary(blockBytes);
  const envelope = common.Envelope.deserializeBinary(block.getData()!.getDataList_asU8()[0]!);
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  return common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig()!;
}

/** A deep copy of `config` with Orderer.BatchSize.max_message_count set to `count`. */
export function withMaxMessageCount(config: common.Config, count: number): common.Config {
  const copy = common.Config.deserializeBinary(config.serializeBinary());
  const value = copy.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!;
  const batchSize = orderer.BatchSize.deserializeBinary(value.getValue_asU8());
  batchSize.setMaxMessageCount(count);
  value.setValue(batchSize.serializeBinary());
  return copy;
}

interface GroupDiff {
  readonly read: common.ConfigGroup;
  readonly write: common.ConfigGroup;
  readonly updated: boolean;
}

/** configtxlator compute_update: the ConfigUpdate moving `original` to `updated`. */
export function computeUpdate(channelId: string, original: common.Config, updated: common.Config): common.ConfigUpdate {
  const diff = diffGroup(original.getChannelGroup()!, updated.getChannelGroup()!);
  if (!diff.updated) throw new Error('no differences detected between original and updated config');
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(diff.read);
  update.setWriteSet(diff.write);
  return update;
}

type Leaf = common.ConfigValue | common.ConfigPolicy;
const leafBytes = (leaf: Leaf): string =>
  Buffer.from(leaf instanceof common.ConfigValue ? leaf.getValue_asU8() : (leaf.getPolicy()?.serializeBinary() ?? new Uint8Array(0))).toString('hex') +
  '|' +
  leaf.getModPolicy();

/** Fabric's computePoliciesMapUpdate / computeValuesMapUpdate: write set, same set, whether members changed. */
function diffLeaves<T extends Leaf>(
  original: Map<string, T>,
  updated: Map<string, T>,
  make: () => T,
): { write: Map<string, T>; same: Map<string, T>; membersChanged: boolean } {
  const write = new Map<string, T>();
  const same = new Map<string, T>();
  let membersChanged = false;
  for (const [name, before] of original) {
    const after = updated.get(name);
    if (after === undefined) {
      membersChanged = true;
      continue;
    }
    if (leafBytes(before) === leafBytes(after)) {
      const ref = make();
      ref.setVersion(before.getVersion());
      same.set(name, ref);
      continue;
    }
    const next = (after.constructor as unknown as { deserializeBinary(b: Uint8Array): T }).deserializeBinary(after.serializeBinary());
    next.setVersion(before.getVersion() + 1);
    write.set(name, next);
  }
  for (const [name, after] of updated) {
    if (original.has(name)) continue;
    membersChanged = true;
    const next = (after.constructor as unknown as { deserializeBinary(b: Uint8Array): T }).deserializeBinary(after.serializeBinary());
    next.setVersion(0);
    write.set(name, next);
  }
  return { write, same, membersChanged };
}

const entries = <T>(map: { forEach(cb: (v: T, k: string) => void): void }): Map<string, T> => {
  // jspb maps iterate with forEach(value, key).
  const out = new Map<string, T>();
  map.forEach((v, k) => out.set(k, v));
  return out;
};

function diffGroup(original: common.ConfigGroup, updated: common.ConfigGroup): GroupDiff {
  const policies = diffLeaves(
    entries<common.ConfigPolicy>(original.getPoliciesMap()),
    entries<common.ConfigPolicy>(updated.getPoliciesMap()),
    () => new common.ConfigPolicy(),
  );
  const values = diffLeaves(
    entries<common.ConfigValue>(original.getValuesMap()),
    entries<common.ConfigValue>(updated.getValuesMap()),
    () => new common.ConfigValue(),
  );
  const readGroups = new Map<string, common.ConfigGroup>();
  const writeGroups = new Map<string, common.ConfigGroup>();
  const sameGroups = new Map<string, common.ConfigGroup>();
  const originalGroups = entries<common.ConfigGroup>(original.getGroupsMap());
  const updatedGroups = entries<common.ConfigGroup>(updated.getGroupsMap());
  let groupsChanged = false;
  for (const [name, before] of originalGroups) {
    const after = updatedGroups.get(name);
    if (after === undefined) {
      groupsChanged = true;
      continue;
    }
    const sub = diffGroup(before, after);
    if (!sub.updated) sameGroups.set(name, sub.read);
    else {
      readGroups.set(name, sub.read);
      writeGroups.set(name, sub.write);
    }
  }
  for (const [name, after] of updatedGroups) {
    if (originalGroups.has(name)) continue;
    groupsChanged = true;
    writeGroups.set(name, common.ConfigGroup.deserializeBinary(after.serializeBinary()));
  }
  const group = (
    version: number,
    g: Map<string, common.ConfigGroup>,
    v: Map<string, common.ConfigValue>,
    p: Map<string, common.ConfigPolicy>,
    modPolicy = '',
  ) => {
    const out = new common.ConfigGroup();
    out.setVersion(version);
    out.setModPolicy(modPolicy);
    for (const [k, x] of g) out.getGroupsMap().set(k, x);
    for (const [k, x] of v) out.getValuesMap().set(k, x);
    for (const [k, x] of p) out.getPoliciesMap().set(k, x);
    return out;
  };
  const version = original.getVersion();
  if (!(policies.membersChanged || values.membersChanged || groupsChanged || original.getModPolicy() !== updated.getModPolicy())) {
    const updatedAny = policies.write.size > 0 || values.write.size > 0 || writeGroups.size > 0;
    if (!updatedAny) return { read: group(version, new Map(), new Map(), new Map()), write: group(version, new Map(), new Map(), new Map()), updated: false };
    return { read: group(version, readGroups, new Map(), new Map()), write: group(version, writeGroups, values.write, policies.write), updated: true };
  }
  const union = <T>(a: Map<string, T>, b: Map<string, T>) => new Map([...a, ...b]);
  return {
    read: group(version, union(readGroups, sameGroups), values.same, policies.same),
    write: group(version + 1, union(writeGroups, sameGroups), union(values.write, values.same), union(policies.write, policies.same), updated.getModPolicy()),
    updated: true,
  };
}

function signatureHeader(signer: FabricSigner): common.SignatureHeader {
  const identity = new msp.SerializedIdentity();
  identity.setMspid(signer.mspId);
  identity.setIdBytes(new TextEncoder().encode(signer.certPem));
  const header = new common.SignatureHeader();
  header.setCreator(identity.serializeBinary());
  header.setNonce(new Uint8Array(randomBytes(24)));
  return header;
}

/** peer channel signconfigtx: a ConfigSignature over signature_header ‖ config_update. */
export function signConfigUpdate(update: Uint8Array, signer: FabricSigner): common.ConfigSignature {
  const header = signatureHeader(signer).serializeBinary();
  const signature = new common.ConfigSignature();
  signature.setSignatureHeader(header);
  signature.setSignature(signer.sign(new Uint8Array([...header, ...update])));
  return signature;
}

/** peer channel update: the CONFIG_UPDATE envelope, signed by `creator`, carrying the ConfigSignatures. */
export function configUpdateEnvelope(channelId: string, update: Uint8Array, signatures: common.ConfigSignature[], creator: FabricSigner): Uint8Array {
  const updateEnvelope = new common.ConfigUpdateEnvelope();
  updateEnvelope.setConfigUpdate(update);
  updateEnvelope.setSignaturesList(signatures);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG_UPDATE);
  channelHeader.setChannelId(channelId);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader(creator).serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(updateEnvelope.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  envelope.setSignature(creator.sign(payload.serializeBinary()));
  return envelope.serializeBinary();
}
