// `orderer channel update`: move a running channel to the config of an edited
// channel config file (batch size/timeout, Raft options, organizations,
// consenters one at a time). As Fabric's tools: the current config is read
// from the channel's latest config block (Deliver), the ConfigUpdate is
// computed (configtxlator compute_update), signed by every admin given
// (peer channel signconfigtx) and broadcast as a CONFIG_UPDATE envelope
// created by the first of them (peer channel update). The orderer evaluates
// the changed elements' mod_policies over those signatures, computes the
// CONFIG envelope, orders it alone and applies it.

import fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import {
  buildConfigUpdateEnvelope,
  currentConfigOf,
  encodeSerializedIdentity,
  readBlockSignatures,
  Status,
  type Block,
  type EnvelopeCreator,
} from '../block/index.js';
import { loadChannelConfig } from '../config/index.js';
import { loadLocalMsp } from '../crypto/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import { BroadcastStream, connectAtomicBroadcast, deliver } from '../client/index.js';
import { channelValuesOfConfig } from '../node/index.js';
import { CliRunError } from './errors.js';

export interface ChannelUpdateRequest {
  readonly channelConfigFile: string;
  /** host:port of an orderer's client (Broadcast/Deliver) listener. */
  readonly ordererAddress: string;
  /** CA of the orderer's TLS certificate (PEM file); plaintext without. */
  readonly tlsCaFile: string | undefined;
  readonly serverNameOverride: string | undefined;
  /** Local MSPs of the admins who sign the update (the first also signs the envelope): as many as the changed elements' policies need. */
  readonly admins: readonly { readonly mspDir: string; readonly mspId: string }[];
}

export interface ChannelUpdateOutcome {
  readonly channelId: string;
  /** Sequence of the config the update moves to. */
  readonly sequence: number;
  readonly fromConfigBlock: number;
}

export async function updateChannel(request: ChannelUpdateRequest): Promise<ChannelUpdateOutcome> {
  const channel = loadChannelConfig(request.channelConfigFile);
  if (request.admins.length === 0) throw new CliRunError('a config update needs at least one signing admin');
  const admins = request.admins.map(({ mspDir, mspId }): EnvelopeCreator => {
    const msp = loadLocalMsp(mspDir, { mspId, provider: createCryptoProvider('native') });
    return { signer: msp.signer, serializedIdentity: encodeSerializedIdentity({ mspid: msp.mspId, idBytes: new TextEncoder().encode(msp.certPem) }) };
  });
  const admin = admins[0]!;
  const client = connectAtomicBroadcast(request.ordererAddress, {
    tlsCaPem: request.tlsCaFile === undefined ? undefined : fs.readFileSync(request.tlsCaFile, 'utf8'),
    serverNameOverride: request.serverNameOverride,
  });
  try {
    const configBlock = await latestConfigBlock(client, channel.channelId, admin);
    const current = currentConfigOf(configBlock);
    const envelope = buildConfigUpdateEnvelope(current, { ...channelValuesOfConfig(channel), sequence: current.config.sequence + 1 }, admins);
    const stream = new BroadcastStream(client);
    const response = await stream.send(envelope);
    await stream.end();
    if (response.status !== Status.SUCCESS) {
      throw new CliRunError(
        `the orderer refused the config update of channel "${channel.channelId}": ${Status[response.status] ?? response.status}: ${response.info}`,
      );
    }
    return { channelId: channel.channelId, sequence: current.config.sequence + 1, fromConfigBlock: Number(configBlock.header.number) };
  } finally {
    client.close();
  }
}

/** The newest block's LAST_CONFIG points at the latest config block. */
async function latestConfigBlock(client: grpc.Client, channelId: string, creator: EnvelopeCreator): Promise<Block> {
  const one = async (position: { type: 'newest' } | { type: 'specified'; number: number }, what: string): Promise<Block> => {
    const outcome = await deliver(client, { channelId, creator, start: position, stop: position });
    const block = outcome.blocks[0];
    if (outcome.status !== Status.SUCCESS || block === undefined) {
      throw new CliRunError(`cannot read the ${what} of channel "${channelId}": Deliver answered ${Status[outcome.status] ?? outcome.status}`);
    }
    return block;
  };
  const newest = await one({ type: 'newest' }, 'newest block');
  const lastConfig = readBlockSignatures(newest).lastConfigIndex ?? 0;
  return lastConfig === Number(newest.header.number) ? newest : one({ type: 'specified', number: lastConfig }, `config block ${lastConfig}`);
}
