// Config updates as Fabric's tools make them: the ConfigUpdate between the
// current config and the wanted one (configtxlator compute_update), a
// ConfigSignature per admin over signature_header ‖ config_update, and the
// CONFIG_UPDATE envelope a client broadcasts. The orderer turns it into the
// CONFIG envelope it signs itself (configUpdate.ts, configEnvelopeOf).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeSignatureHeader } from '../codec/common.js';
import { NONCE_BYTES } from '../blockMetadata.js';
import { concatBytes } from '../bytes.js';
import { createSignedEnvelope, type EnvelopeCreator } from '../envelopeBuilder.js';
import { HeaderType, type Block, type Envelope, type Timestamp } from '../model.js';
import type { ChannelConfigInput } from './build.js';
import type { ChannelConfigValues } from './channelValues.js';
import { encodeConfigEnvelope, encodeConfigUpdate, encodeConfigUpdateEnvelope } from './codec.js';
import { computeGroupUpdate } from './computeUpdate.js';
import { ChannelConfigError } from './errors.js';
import { channelConfigValuesOf, readConfigEnvelope } from './extract.js';
import type { Config, ConfigSignature } from './model.js';
import { patchConfigTree } from './patch.js';

/** A channel's config as the last config block holds it. */
export interface CurrentConfig {
  readonly channelId: string;
  readonly config: Config;
  readonly values: ChannelConfigValues;
}

/** The current config of a config block (its one CONFIG envelope). */
export function currentConfigOf(configBlock: Block): CurrentConfig {
  if (configBlock.data.length !== 1)
    throw new ChannelConfigError('block.data', `a config block holds exactly one envelope, this one holds ${configBlock.data.length}`);
  const { channelId, configEnvelope } = readConfigEnvelope(configBlock.data[0]!, 'block.data[0]');
  if (configEnvelope.config === undefined) throw new ChannelConfigError('config', 'missing');
  return { channelId, config: configEnvelope.config, values: channelConfigValuesOf(configEnvelope.config, channelId) };
}

export interface ConfigUpdateOptions {
  /** Default: now, whole seconds. */
  readonly timestamp?: Timestamp;
  /** Nonces of the ConfigSignatures and the envelope; default random. */
  readonly nonce?: () => Uint8Array;
}

const randomNonce = () => new Uint8Array(randomBytes(NONCE_BYTES));

/**
 * The marshaled ConfigUpdate moving `current` to `next` (configtxlator's
 * compute_update over the patched tree). Throws ChannelConfigError when
 * `next` changes nothing.
 */
export function computeConfigUpdate(current: CurrentConfig, next: ChannelConfigInput): Uint8Array {
  assert.equal(next.channelId, current.channelId, 'a config update stays on its channel');
  const currentTree = current.config.channelGroup;
  assert(currentTree !== undefined, 'the current config has a channel group');
  const patched = patchConfigTree(currentTree, current.values, { ...next, sequence: current.config.sequence + 1 });
  const delta = computeGroupUpdate(currentTree, patched);
  if (delta === undefined) throw new ChannelConfigError('channel_group', 'the proposed config changes nothing');
  return encodeConfigUpdate({ channelId: current.channelId, readSet: delta.readSet, writeSet: delta.writeSet, isolatedData: new Map() });
}

/** `signer`'s ConfigSignature over signature_header ‖ configUpdate (peer channel signconfigtx). */
export function signConfigUpdate(configUpdate: Uint8Array, signer: EnvelopeCreator, nonce: () => Uint8Array = randomNonce): ConfigSignature {
  const signatureHeader = encodeSignatureHeader({ creator: signer.serializedIdentity, nonce: nonce() });
  return { signatureHeader, signature: signer.signer.sign(concatBytes([signatureHeader, configUpdate])) };
}

/** The CONFIG_UPDATE envelope a client broadcasts: `configUpdate` with its signatures, signed by `creator`. */
export function configUpdateEnvelopeOf(
  channelId: string,
  configUpdate: Uint8Array,
  signatures: readonly ConfigSignature[],
  creator: EnvelopeCreator,
  options: ConfigUpdateOptions = {},
): Uint8Array {
  return createSignedEnvelope({
    type: HeaderType.CONFIG_UPDATE,
    channelId,
    data: encodeConfigUpdateEnvelope({ configUpdate, signatures }),
    creator,
    nonce: (options.nonce ?? randomNonce)(),
    ...(options.timestamp && { timestamp: options.timestamp }),
  });
}

/**
 * A marshaled CONFIG_UPDATE envelope moving `current` to `next`, signed as
 * Fabric's tooling would: a ConfigSignature by each of `signers` (the admins
 * whose policies the change needs), the envelope by the first of them.
 */
export function buildConfigUpdateEnvelope(
  current: CurrentConfig,
  next: ChannelConfigInput,
  signers: EnvelopeCreator | readonly EnvelopeCreator[],
  options: ConfigUpdateOptions = {},
): Uint8Array {
  const all = Array.isArray(signers) ? (signers as readonly EnvelopeCreator[]) : [signers as EnvelopeCreator];
  assert(all.length > 0, 'a config update needs at least one signer');
  const configUpdate = computeConfigUpdate(current, next);
  const signatures = all.map((s) => signConfigUpdate(configUpdate, s, options.nonce));
  return configUpdateEnvelopeOf(current.channelId, configUpdate, signatures, all[0]!, options);
}

/** The CONFIG envelope the orderer orders: ConfigEnvelope{config, last_update}, signed by the orderer's identity. */
export function configEnvelopeOf(
  channelId: string,
  config: Config,
  lastUpdate: Envelope,
  orderer: EnvelopeCreator,
  options: ConfigUpdateOptions = {},
): Uint8Array {
  return createSignedEnvelope({
    type: HeaderType.CONFIG,
    channelId,
    data: encodeConfigEnvelope({ config, lastUpdate }),
    creator: orderer,
    nonce: (options.nonce ?? randomNonce)(),
    ...(options.timestamp && { timestamp: options.timestamp }),
  });
}
