// Where a node's block puller pulls from: the Deliver endpoints and TLS roots
// a channel's config block names (orderer organizations' Endpoints, else the
// channel's OrdererAddresses); none for a block without a readable config.

import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildGenesisBlock, encodeBlock } from '../../src/block/index.js';
import { createChannelPuller, deliverEndpointsOf } from '../../src/catchup/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { BlockLedger } from '../../src/storage/index.js';
import { makeTestChannel } from '../block/configtx/helpers.js';
import { TestCluster } from '../chain/harness.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
const logger = pino({ level: 'silent' });

describe('block puller endpoints from the channel config', () => {
  it("reads the orderer organizations' endpoints and every organization's TLS roots", () => {
    const channel = makeTestChannel('ecdsa-p256', 'endpoints');
    const values = {
      ...channel.values,
      organizations: channel.values.organizations.map((o) => (o.mspId === 'OrdererMSP' ? { ...o, ordererEndpoints: ['10.0.0.1:7050', '10.0.0.2:7050'] } : o)),
    };
    const endpoints = deliverEndpointsOf(encodeBlock(buildGenesisBlock(values, sha256)))!;
    expect(endpoints.addresses).toEqual(['10.0.0.1:7050', '10.0.0.2:7050']);
    expect(endpoints.ordererMspIds).toEqual(['OrdererMSP']);
    expect(endpoints.tlsRootCertsPem).toEqual(values.organizations.flatMap((o) => [...o.tlsRootCerts, ...o.tlsIntermediateCerts]));
  });

  it("falls back to the channel's OrdererAddresses when no organization lists endpoints", () => {
    const channel = makeTestChannel('ecdsa-p256', 'addresses');
    const values = {
      ...channel.values,
      ordererAddresses: ['o1:7050', 'o2:7050'],
      organizations: channel.values.organizations.map((o) => ({ ...o, ordererEndpoints: [] })),
    };
    expect(deliverEndpointsOf(encodeBlock(buildGenesisBlock(values, sha256)))?.addresses).toEqual(['o1:7050', 'o2:7050']);
  });

  it('no puller for a block without a readable channel config, or when the only endpoint is this node', async () => {
    const plain = new TestCluster();
    expect(deliverEndpointsOf(plain.genesis)).toBeUndefined();
    const channel = makeTestChannel('ecdsa-p256', 'alone');
    const common = {
      channelId: 'alone',
      engine: 'native' as const,
      hashAlgorithm: 'sha256' as const,
      organizations: [plain.org.config],
      creator: plain.client,
      tls: undefined,
      ledger: {} as BlockLedger,
      logger,
    };
    expect(createChannelPuller({ ...common, configBlock: plain.genesis, selfAddress: 'x:1' })).toBeUndefined();
    const only = encodeBlock(buildGenesisBlock(channel.values, sha256)); // OrdererMSP lists 127.0.0.1:7051
    expect(createChannelPuller({ ...common, configBlock: only, selfAddress: '127.0.0.1:7051' })).toBeUndefined();
    const puller = createChannelPuller({ ...common, configBlock: only, selfAddress: '127.0.0.1:7050' });
    expect(puller).toBeDefined();
    puller!.close();
    await plain.close();
  });
});
