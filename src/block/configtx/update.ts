// Config updates as our tooling submits them: a CONFIG envelope carrying the
// complete next config (sequence + 1, Fabric's versions) and, as
// last_update, the signed CONFIG_UPDATE envelope that produced it. Fabric's
// path (a client sends CONFIG_UPDATE, the orderer's msgprocessor turns it into
// a CONFIG envelope) is approximated: the submitter computes the CONFIG
// envelope and the orderer validates it (validateConfigTransition) and the
// signatures readConfigTransaction exposes. See CONFIGTX.md.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeChannelHeader, decodeEnvelope, decodePayload, decodeSignatureHeader, encodeSignatureHeader } from '../codec/common.js';
import { NONCE_BYTES } from '../blockMetadata.js';
import { concatBytes } from '../bytes.js';
import { createSignedEnvelope, type EnvelopeCreator } from '../envelopeBuilder.js';
import { HeaderType, type Block, type Timestamp } from '../model.js';
import type { ChannelConfigInput } from './build.js';
import type { ChannelConfigValues } from './channelValues.js';
import { decodeConfigUpdate, decodeConfigUpdateEnvelope, encodeConfigEnvelope, encodeConfigUpdate, encodeConfigUpdateEnvelope } from './codec.js';
import { computeGroupUpdate } from './computeUpdate.js';
import { ChannelConfigError } from './errors.js';
import { channelConfigValuesOf, readConfigEnvelope } from './extract.js';
import type { Config } from './model.js';
import { patchConfigTree } from './patch.js';

/** A channel's config as the last config block holds it. */
export interface CurrentConfig {
  readonly channelId: string;
  readonly config: Config;
  readonly values: ChannelConfigValues;
}

/** The current config of a config block (its one CONFIG envelope). */
export function currentConfigOf(configBlock: Block): CurrentConfig {
  if (configBlock.data.length !== 1) throw new ChannelConfigError('block.data', `a config block holds exactly one envelope, this one holds ${configBlock.data.length}`);
  const { channelId, configEnvelope } = readConfigEnvelope(configBlock.data[0]!, 'block.data[0]');
  if (configEnvelope.config === undefined) throw new ChannelConfigError('config', 'missing');
  return { channelId, config: configEnvelope.config, values: channelConfigValuesOf(configEnvelope.config, channelId) };
}

export interface ConfigUpdateOptions {
  /** Default: now, whole seconds. */
  readonly timestamp?: Timestamp;
  /** Nonces of the CONFIG_UPDATE envelope, its ConfigSignature and the CONFIG envelope; default random. */
  readonly nonce?: () => Uint8Array;
}

/**
 * A marshaled CONFIG envelope moving `current` to `next` (the sequence is
 * current + 1 whatever `next.sequence` says), signed by `admin` three times,
 * as Fabric's tooling would: the ConfigSignature over the ConfigUpdate, the
 * CONFIG_UPDATE envelope, and the CONFIG envelope. Throws ChannelConfigError
 * when `next` changes nothing.
 */
export function buildConfigUpdateEnvelope(current: CurrentConfig, next: ChannelConfigInput, admin: EnvelopeCreator, options: ConfigUpdateOptions = {}): Uint8Array {
  assert.equal(next.channelId, current.channelId, 'a config update stays on its channel');
  const currentTree = current.config.channelGroup;
  assert(currentTree !== undefined, 'the current config has a channel group');
  const sequence = current.config.sequence + 1;
  const patched = patchConfigTree(currentTree, current.values, { ...next, sequence });
  const delta = computeGroupUpdate(currentTree, patched);
  if (delta === undefined) throw new ChannelConfigError('channel_group', 'the proposed config changes nothing');
  const nonce = options.nonce ?? (() => new Uint8Array(randomBytes(NONCE_BYTES)));
  const timestamp = options.timestamp;

  const configUpdate = encodeConfigUpdate({ channelId: current.channelId, readSet: delta.readSet, writeSet: delta.writeSet, isolatedData: new Map() });
  const signatureHeader = encodeSignatureHeader({ creator: admin.serializedIdentity, nonce: nonce() });
  const signature = admin.signer.sign(concatBytes([signatureHeader, configUpdate]));
  const updateEnvelope = createSignedEnvelope({
    type: HeaderType.CONFIG_UPDATE,
    channelId: current.channelId,
    data: encodeConfigUpdateEnvelope({ configUpdate, signatures: [{ signatureHeader, signature }] }),
    creator: admin,
    nonce: nonce(),
    ...(timestamp && { timestamp }),
  });
  const data = encodeConfigEnvelope({ config: { sequence, channelGroup: delta.merged }, lastUpdate: decodeEnvelope(updateEnvelope) });
  return createSignedEnvelope({ type: HeaderType.CONFIG, channelId: current.channelId, data, creator: admin, nonce: nonce(), ...(timestamp && { timestamp }) });
}

/** One signature to verify: `signature` by `creator` (marshaled SerializedIdentity) over `data`. */
export interface SignedData {
  readonly creator: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

export interface ConfigTransaction {
  readonly channelId: string;
  readonly config: Config;
  readonly values: ChannelConfigValues;
  /** The CONFIG envelope's own signature (its creator is the submitter). */
  readonly envelopeSignature: SignedData;
  /** The ConfigUpdate's ConfigSignatures (Fabric evaluates mod_policies over these); empty without last_update. */
  readonly updateSignatures: readonly SignedData[];
}

/**
 * Reads a CONFIG envelope: its config as values and the signatures a
 * validator must check. Throws ChannelConfigError / MalformedMessageError
 * naming the path; the last update must be a CONFIG_UPDATE for the same channel.
 */
export function readConfigTransaction(envelopeBytes: Uint8Array): ConfigTransaction {
  const envelope = decodeEnvelope(envelopeBytes);
  const payload = decodePayload(envelope.payload, { code: 'BAD_ENVELOPE', path: 'envelope.payload' });
  const { channelId, configEnvelope } = readConfigEnvelope(envelopeBytes);
  const config = configEnvelope.config;
  if (config === undefined) throw new ChannelConfigError('envelope.payload.data.config', 'missing');
  const creator = decodeSignatureHeader(payload.header!.signatureHeader, { code: 'BAD_ENVELOPE', path: 'envelope.payload.header.signature_header' }).creator;
  const updateSignatures: SignedData[] = [];
  if (configEnvelope.lastUpdate !== undefined) {
    const path = 'envelope.payload.data.last_update';
    const updatePayload = decodePayload(configEnvelope.lastUpdate.payload, { code: 'BAD_ENVELOPE', path: `${path}.payload` });
    if (updatePayload.header === undefined) throw new ChannelConfigError(`${path}.payload.header`, 'missing');
    const header = decodeChannelHeader(updatePayload.header.channelHeader, { code: 'BAD_ENVELOPE', path: `${path}.payload.header.channel_header` });
    if (header.type !== HeaderType.CONFIG_UPDATE) throw new ChannelConfigError(`${path}.payload.header.channel_header.type`, `is ${header.type}, expected CONFIG_UPDATE (${HeaderType.CONFIG_UPDATE})`);
    const updateEnvelope = decodeConfigUpdateEnvelope(updatePayload.data, { code: 'BAD_ENVELOPE', path: `${path}.payload.data` });
    const update = decodeConfigUpdate(updateEnvelope.configUpdate, { code: 'BAD_ENVELOPE', path: `${path}.payload.data.config_update` });
    if (update.channelId !== channelId || header.channelId !== channelId) {
      throw new ChannelConfigError(`${path}.payload.data.config_update.channel_id`, `is "${update.channelId}", the envelope is for channel "${channelId}"`);
    }
    updateEnvelope.signatures.forEach((sig, i) => {
      const sh = decodeSignatureHeader(sig.signatureHeader, { code: 'BAD_ENVELOPE', path: `${path}.payload.data.signatures[${i}].signature_header` });
      updateSignatures.push({ creator: sh.creator, data: concatBytes([sig.signatureHeader, updateEnvelope.configUpdate]), signature: sig.signature });
    });
  }
  return {
    channelId,
    config,
    values: channelConfigValuesOf(config, channelId),
    envelopeSignature: { creator, data: envelope.payload, signature: envelope.signature },
    updateSignatures,
  };
}
