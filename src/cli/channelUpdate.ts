// `orderer channel update`: move a running channel to the config of an edited
// channel config file (batch size/timeout, Raft options, organizations,
// consenters one at a time). The current config is read from the channel's
// latest config block (Deliver), the update is computed and signed by an
// organization admin (configtx buildConfigUpdateEnvelope), then broadcast:
// the leader validates it, orders it alone and applies it.

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
  /** Local MSP of an organization admin: signs the update. */
  readonly adminMspDir: string;
  readonly adminMspId: string;
}

export interface ChannelUpdateOutcome {
  readonly channelId: string;
  /** Sequence of the config the update moves to. */
  readonly sequence: number;
  readonly fromConfigBlock: number;
}

export async function updateChannel(request: ChannelUpdateRequest): Promise<ChannelUpdateOutcome> {
  const channel = loadChannelConfig(request.channelConfigFile);
  const msp = loadLocalMsp(request.adminMspDir, { mspId: request.adminMspId, provider: createCryptoProvider('native') });
  const admin: EnvelopeCreator = {
    signer: msp.signer,
    serializedIdentity: encodeSerializedIdentity({ mspid: msp.mspId, idBytes: new TextEncoder().encode(msp.certPem) }),
  };
  const client = connectAtomicBroadcast(request.ordererAddress, {
    tlsCaPem: request.tlsCaFile === undefined ? undefined : fs.readFileSync(request.tlsCaFile, 'utf8'),
    serverNameOverride: request.serverNameOverride,
  });
  try {
    const configBlock = await latestConfigBlock(client, channel.channelId, admin);
    const current = currentConfigOf(configBlock);
    const envelope = buildConfigUpdateEnvelope(current, { ...channelValuesOfConfig(channel), sequence: current.config.sequence + 1 }, admin);
    const stream = new BroadcastStream(client);
    const response = await stream.send(envelope);
    await stream.end();
    if (response.status !== Status.SUCCESS) {
      throw new CliRunError(`the orderer refused the config update of channel "${channel.channelId}": ${Status[response.status] ?? response.status}: ${response.info}`);
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
