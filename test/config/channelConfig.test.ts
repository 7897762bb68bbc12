// Channel config: Fabric's defaults, path-or-PEM certificates, and one test
// per validation rule, each checking the whole message (field, rule, value).

import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, fillChannelConfig, type ChannelConfig } from '../../src/config/index.js';
import { CA_PEM, CERT_PEM, makeConfigDir, minimalChannel } from './fixtures.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

function fill(input: unknown, at = ''): ChannelConfig {
  return fillChannelConfig(input, at, dir);
}

function refusal(input: unknown, at = ''): { field: string; message: string } {
  try {
    fill(input, at);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('BAD_CONFIG');
    return { field: (error as ConfigError).field, message: (error as Error).message };
  }
  throw new Error('input was accepted');
}

const consenter = (overrides: Record<string, unknown> = {}) => ({
  id: 1,
  host: '127.0.0.1',
  port: 7051,
  clientTlsCert: CERT_PEM,
  serverTlsCert: CERT_PEM,
  ...overrides,
});

describe('channel config defaults', () => {
  it('fills Fabric’s defaults around the required fields', () => {
    const config = fill(minimalChannel());
    expect(config).toEqual({
      channelId: 'mychannel',
      consenters: [{ id: 1, host: '127.0.0.1', port: 7051, clientTlsCertPem: CERT_PEM, serverTlsCertPem: CERT_PEM }],
      organizations: [{ mspId: 'Org1MSP', rootCerts: [CA_PEM], intermediateCerts: [], adminCerts: [], tlsRootCerts: [], ordererEndpoints: [] }],
      batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeoutMs: 2000,
      raft: {
        tickIntervalMs: 500,
        electionTick: 10,
        heartbeatTick: 1,
        maxInflightBlocks: 5,
        snapshotIntervalSizeBytes: 20 * 1024 * 1024,
        evictionSuspicionMs: 600_000,
        leaderLossDetection: true,
        leaderLossGraceMs: 40,
      },
      hashAlgorithm: 'sha256',
      signatureAlgorithm: 'ecdsa-p256',
    });
  });

  it('takes explicit values in Fabric’s notations', () => {
    const config = fill(
      minimalChannel({
        batchSize: { maxMessageCount: 10, absoluteMaxBytes: '99 MB', preferredMaxBytes: '512 KB' },
        batchTimeout: '250ms',
        raft: {
          tickInterval: '100ms',
          electionTick: 20,
          electionJitterTicks: 7,
          heartbeatTick: 2,
          maxInflightBlocks: 3,
          snapshotIntervalSize: '16 MB',
          evictionSuspicion: '5m',
          leaderLossDetection: false,
          leaderLossGrace: '15ms',
        },
      }),
    );
    expect(config.batchSize).toEqual({ maxMessageCount: 10, absoluteMaxBytes: 99 * 1024 * 1024, preferredMaxBytes: 512 * 1024 });
    expect(config.batchTimeoutMs).toBe(250);
    expect(config.raft).toEqual({
      tickIntervalMs: 100,
      electionTick: 20,
      electionJitterTicks: 7,
      heartbeatTick: 2,
      maxInflightBlocks: 3,
      snapshotIntervalSizeBytes: 16 * 1024 * 1024,
      evictionSuspicionMs: 300_000,
      leaderLossDetection: false,
      leaderLossGraceMs: 15,
    });
  });

  it('pairs SM3 with SM2 when only the signature algorithm is given', () => {
    const config = fill(minimalChannel({ signatureAlgorithm: 'sm2' }));
    expect([config.signatureAlgorithm, config.hashAlgorithm]).toEqual(['sm2', 'sm3']);
  });

  it('reads certificates from files relative to the config directory', () => {
    const config = fill(
      minimalChannel({
        consenters: [consenter({ clientTlsCert: 'tls/server.crt', serverTlsCert: path.join(dir, 'tls', 'server.crt') })],
        organizations: [
          {
            mspId: 'Org1MSP',
            rootCerts: ['tls/ca.crt'],
            intermediateCerts: ['./tls/ca.crt'],
            adminCerts: ['tls/server.crt'],
            tlsRootCerts: ['tls/ca.crt'],
            ordererEndpoints: ['127.0.0.1:7050', '[::1]:7050'],
          },
        ],
      }),
    );
    expect(config.consenters[0]!.clientTlsCertPem).toBe(CERT_PEM);
    expect(config.consenters[0]!.serverTlsCertPem).toBe(CERT_PEM);
    expect(config.organizations[0]).toEqual({
      mspId: 'Org1MSP',
      rootCerts: [CA_PEM],
      intermediateCerts: [CA_PEM],
      adminCerts: [CERT_PEM],
      tlsRootCerts: [CA_PEM],
      ordererEndpoints: ['127.0.0.1:7050', '[::1]:7050'],
    });
  });
});

describe('channel config validation', () => {
  const MiB = 1024 * 1024;
  it.each<[string, Record<string, unknown>, string, string]>([
    ['channelId missing', { channelId: undefined }, 'channelId', 'channelId is required'],
    [
      'channelId with capitals',
      { channelId: 'MyChannel' },
      'channelId',
      'channelId must be a channel name of lower-case letters, digits, "." and "-", starting with a letter, got "MyChannel"',
    ],
    ['channelId too long', { channelId: 'a'.repeat(250) }, 'channelId', 'channelId must be at most 249 characters long, got 250 characters'],
    ['no consenters', { consenters: [] }, 'consenters', 'consenters must be a list of 1 to 64 entries, got 0 entries'],
    ['consenters not a list', { consenters: 'node1' }, 'consenters', 'consenters must be a list, got "node1"'],
    ['consenter id 0', { consenters: [consenter({ id: 0 })] }, 'consenters[0].id', 'consenters[0].id must be an integer in 1..4294967295, got 0'],
    [
      'consenter port out of range',
      { consenters: [consenter({ port: 70000 })] },
      'consenters[0].port',
      'consenters[0].port must be an integer in 1..65535, got 70000',
    ],
    [
      'consenter host with a space',
      { consenters: [consenter({ host: 'a b' })] },
      'consenters[0].host',
      'consenters[0].host must be a host name or IP address, got "a b"',
    ],
    [
      'duplicate consenter id',
      { consenters: [consenter(), consenter({ port: 7052 })] },
      'consenters[1]',
      'consenters[1] repeats id 1 of consenters[0]; each must be unique',
    ],
    [
      'duplicate consenter address',
      { consenters: [consenter(), consenter({ id: 2 })] },
      'consenters[1]',
      'consenters[1] repeats host:port 127.0.0.1:7051 of consenters[0]; each must be unique',
    ],
    [
      'misspelt consenter field',
      { consenters: [{ ...consenter(), clienttlscert: 'x' }] },
      'consenters[0].clienttlscert',
      'consenters[0].clienttlscert is not a known field (did you mean clientTlsCert?)',
    ],
    ['no organizations', { organizations: [] }, 'organizations', 'organizations must be a list of 1 to 256 entries, got 0 entries'],
    [
      'organization without root certs',
      { organizations: [{ mspId: 'Org1MSP', rootCerts: [] }] },
      'organizations[0].rootCerts',
      'organizations[0].rootCerts must be a list of 1 to 64 entries, got 0 entries',
    ],
    [
      'bad mspId',
      { organizations: [{ mspId: 'Org 1', rootCerts: [CA_PEM] }] },
      'organizations[0].mspId',
      'organizations[0].mspId must be an MSP id of letters, digits, ".", "_" and "-", got "Org 1"',
    ],
    [
      'duplicate mspId',
      {
        organizations: [
          { mspId: 'Org1MSP', rootCerts: [CA_PEM] },
          { mspId: 'Org1MSP', rootCerts: [CA_PEM] },
        ],
      },
      'organizations[1]',
      'organizations[1] repeats mspId Org1MSP of organizations[0]; each must be unique',
    ],
    [
      'maxMessageCount 0',
      { batchSize: { maxMessageCount: 0 } },
      'batchSize.maxMessageCount',
      'batchSize.maxMessageCount must be an integer in 1..4294967295, got 0',
    ],
    [
      'absoluteMaxBytes not a size',
      { batchSize: { absoluteMaxBytes: 'ten megs' } },
      'batchSize.absoluteMaxBytes',
      'batchSize.absoluteMaxBytes must be a byte count or a size such as "10 MB", got "ten megs"',
    ],
    [
      'absoluteMaxBytes above 100 MiB',
      { batchSize: { absoluteMaxBytes: '101 MB' } },
      'batchSize.absoluteMaxBytes',
      `batchSize.absoluteMaxBytes must be between 1 and ${100 * MiB} bytes, got "101 MB"`,
    ],
    [
      'preferredMaxBytes over absoluteMaxBytes',
      { batchSize: { preferredMaxBytes: 20_000_000 } },
      'batchSize.preferredMaxBytes',
      'batchSize.preferredMaxBytes must be <= absoluteMaxBytes (10485760), got 20000000',
    ],
    [
      'unknown batchSize field',
      { batchSize: { maxBytes: 1 } },
      'batchSize.maxBytes',
      'batchSize.maxBytes is not a known field (known fields: maxMessageCount, absoluteMaxBytes, preferredMaxBytes)',
    ],
    ['batchTimeout without unit', { batchTimeout: '2' }, 'batchTimeout', 'batchTimeout must be a duration such as "500ms", "2s" or "10m", got "2"'],
    ['batchTimeout as a number', { batchTimeout: 2 }, 'batchTimeout', 'batchTimeout must be a duration such as "500ms", "2s" or "10m", got 2'],
    ['batchTimeout zero', { batchTimeout: '0s' }, 'batchTimeout', 'batchTimeout must be between 1ms and 3600000ms, got "0s"'],
    ['batchTimeout fractional ms', { batchTimeout: '1500us' }, 'batchTimeout', 'batchTimeout must be a whole number of milliseconds, got "1500us"'],
    ['tickInterval too long', { raft: { tickInterval: '2m' } }, 'raft.tickInterval', 'raft.tickInterval must be between 1ms and 60000ms, got "2m"'],
    [
      'electionTick not above heartbeatTick',
      { raft: { electionTick: 3, heartbeatTick: 3 } },
      'raft.electionTick',
      'raft.electionTick must be greater than heartbeatTick (3), got 3',
    ],
    [
      'electionJitterTicks above electionTick',
      { raft: { electionTick: 10, electionJitterTicks: 11 } },
      'raft.electionJitterTicks',
      'raft.electionJitterTicks must be an integer in 1..10, got 11',
    ],
    ['heartbeatTick 0', { raft: { heartbeatTick: 0 } }, 'raft.heartbeatTick', 'raft.heartbeatTick must be an integer in 1..1000, got 0'],
    ['maxInflightBlocks 0', { raft: { maxInflightBlocks: 0 } }, 'raft.maxInflightBlocks', 'raft.maxInflightBlocks must be an integer in 1..1000, got 0'],
    [
      'snapshotIntervalSize 0',
      { raft: { snapshotIntervalSize: 0 } },
      'raft.snapshotIntervalSize',
      'raft.snapshotIntervalSize must be between 1 and 1099511627776 bytes, got 0',
    ],
    [
      'evictionSuspicion too short',
      { raft: { evictionSuspicion: '10ms' } },
      'raft.evictionSuspicion',
      'raft.evictionSuspicion must be between 1000ms and 604800000ms, got "10ms"',
    ],
    ['unknown raft option', { raft: { TickInterval: '1s' } }, 'raft.TickInterval', 'raft.TickInterval is not a known field (did you mean tickInterval?)'],
    ['unknown hash', { hashAlgorithm: 'sha3' }, 'hashAlgorithm', 'hashAlgorithm must be one of sha256, sm3, got "sha3"'],
    ['unknown signature', { signatureAlgorithm: 'ed25519' }, 'signatureAlgorithm', 'signatureAlgorithm must be one of ecdsa-p256, sm2, got "ed25519"'],
    [
      'SM2 with SHA-256',
      { signatureAlgorithm: 'sm2', hashAlgorithm: 'sha256' },
      'hashAlgorithm',
      'hashAlgorithm must be sm3 with signatureAlgorithm sm2, got "sha256"',
    ],
    ['unknown top-level field', { channelID: 'x' }, 'channelID', 'channelID is not a known field (did you mean channelId?)'],
  ])('%s', (_name, overrides, field, message) => {
    const input = minimalChannel(overrides);
    if ('channelId' in overrides && overrides['channelId'] === undefined) delete input['channelId'];
    expect(refusal(input)).toEqual({ field, message });
  });

  it('refuses a consenter certificate that is neither PEM nor a readable file', () => {
    expect(refusal(minimalChannel({ consenters: [consenter({ serverTlsCert: 'tls/missing.crt' })] }))).toEqual({
      field: 'consenters[0].serverTlsCert',
      message: `consenters[0].serverTlsCert names file ${path.join(dir, 'tls', 'missing.crt')}, which cannot be read: ENOENT`,
    });
  });

  it('refuses a file that holds no certificate, naming the file', () => {
    expect(refusal(minimalChannel({ consenters: [consenter({ clientTlsCert: 'tls/server.key' })] }))).toEqual({
      field: 'consenters[0].clientTlsCert',
      message: `consenters[0].clientTlsCert must be a PEM certificate (or the path of one), but the file ${path.join(dir, 'tls', 'server.key')} holds no "-----BEGIN ...CERTIFICATE-----" block`,
    });
  });

  it('refuses inline PEM of the wrong kind', () => {
    expect(
      refusal(minimalChannel({ organizations: [{ mspId: 'Org1MSP', rootCerts: ['-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----'] }] })).field,
    ).toBe('organizations[0].rootCerts[0]');
  });

  it('prefixes field paths with where the channel sits in a node config', () => {
    expect(refusal(minimalChannel({ batchSize: { preferredMaxBytes: 20_000_000 } }), 'channels[0]')).toEqual({
      field: 'channels[0].batchSize.preferredMaxBytes',
      message: 'channels[0].batchSize.preferredMaxBytes must be <= absoluteMaxBytes (10485760), got 20000000',
    });
  });

  it('refuses a channel that is not a mapping', () => {
    expect(refusal(['mychannel'])).toEqual({ field: 'the config', message: 'the config must be a mapping, got ["mychannel"]' });
  });
});
