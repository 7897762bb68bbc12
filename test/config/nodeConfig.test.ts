// Node config: defaults, validation messages, and loading YAML/JSON files
// with relative paths and channel files resolved from the right directory.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConfigFileError,
  defaultPoolSize,
  fillNodeConfig,
  loadChannelConfig,
  loadNodeConfig,
  type ChannelConfigInput,
  type NodeConfig,
  type NodeConfigInput,
} from '../../src/config/index.js';
import { CA_PEM, CERT_PEM, KEY_PEM, makeConfigDir, minimalChannel, minimalNode } from './fixtures.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

const noChannelFiles = (file: string): unknown => {
  throw new Error(`unexpected channel file ${file}`);
};

function fill(input: unknown): NodeConfig {
  return fillNodeConfig(input, dir, undefined, noChannelFiles);
}

function refusal(input: unknown): { field: string; message: string } {
  try {
    fill(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { field: (error as ConfigError).field, message: (error as Error).message };
  }
  throw new Error('input was accepted');
}

describe('node config defaults', () => {
  it('fills listeners, directories, engine, pool and log level', () => {
    expect(fill(minimalNode())).toEqual({
      configFile: undefined,
      id: 1,
      listen: { client: '127.0.0.1:7050', cluster: '127.0.0.1:7051', operations: '127.0.0.1:8443' },
      tls: {
        certPem: CERT_PEM,
        keyPem: KEY_PEM,
        rootCaPems: [CA_PEM],
        clientListenerEnabled: true,
        clientAuthRequired: false,
        clientRootCaPems: [],
        operationsEnabled: false,
        operationsClientAuthRequired: false,
      },
      msp: { dir: path.join(dir, 'msp'), mspId: 'OrdererMSP' },
      dataDir: path.join(dir, 'data'),
      engine: 'native',
      poolSize: defaultPoolSize(),
      logLevel: 'info',
      authenticationTimeWindowMs: 900_000,
      broadcastAck: 'accepted',
      broadcastAckTimeoutMs: 10_000,
      txIdHorizon: 1_048_576,
      channels: [],
    });
  });

  it('leaves one core to the main thread by default', () => {
    expect(defaultPoolSize()).toBeGreaterThanOrEqual(1);
  });
});

describe('typed inputs', () => {
  it('a NodeConfigInput with inline channels (as keygen would write it) fills', () => {
    const channel: ChannelConfigInput = {
      channelId: 'typed',
      consenters: [{ id: 7, host: '::1', port: 7051, clientTlsCert: CERT_PEM, serverTlsCert: CERT_PEM }],
      organizations: [{ mspId: 'Org1MSP', rootCerts: [CA_PEM] }],
      batchSize: { absoluteMaxBytes: '1 MB' },
      raft: { tickInterval: '100ms' },
      signatureAlgorithm: 'sm2',
    };
    const input: NodeConfigInput = {
      id: 7,
      listen: { client: '[::1]:7050', cluster: '[::1]:7051', operations: '[::1]:0' },
      tls: { cert: 'tls/server.crt', key: 'tls/server.key', rootCAs: ['tls/ca.crt'], clientAuthRequired: true, clientRootCAs: ['tls/ca.crt'] },
      msp: { mspId: 'OrdererMSP' },
      channels: [channel],
    };
    const config = fill(input);
    expect(config.listen.client).toBe('[::1]:7050');
    expect(config.tls.clientRootCaPems).toEqual([CA_PEM]);
    expect(config.channels[0]).toMatchObject({
      channelId: 'typed',
      hashAlgorithm: 'sm3',
      batchSize: { absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 1024 * 1024 },
    });
  });
});

describe('node config validation', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['id 0', { id: 0 }, 'id', 'id must be an integer in 1..4294967295, got 0'],
    ['id as a string', { id: '1' }, 'id', 'id must be an integer, got "1"'],
    [
      'listen address without port',
      { listen: { client: 'localhost' } },
      'listen.client',
      'listen.client must be host:port (IPv6 hosts in brackets), got "localhost"',
    ],
    [
      'listen port out of range',
      { listen: { cluster: '127.0.0.1:99999' } },
      'listen.cluster',
      'listen.cluster must be host:port with a port 0..65535, got "127.0.0.1:99999"',
    ],
    [
      'two listeners on one address',
      { listen: { client: '127.0.0.1:7050', operations: '127.0.0.1:7050' } },
      'listen.operations',
      'listen.operations must be different from listen.client, got "127.0.0.1:7050"',
    ],
    ['tls missing', { tls: undefined }, 'tls', 'tls must be a mapping with cert, key and rootCAs, got nothing'],
    [
      'tls key that is a certificate',
      { tls: { cert: CERT_PEM, key: CERT_PEM, rootCAs: [CA_PEM] } },
      'tls.key',
      'tls.key must be a PEM private key (or the path of one), but the inline PEM holds no "-----BEGIN ...PRIVATE KEY-----" block',
    ],
    ['tls without CAs', { tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [] } }, 'tls.rootCAs', 'tls.rootCAs must be a list of 1 to 256 entries, got 0 entries'],
    [
      'client auth without client CAs',
      { tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [CA_PEM], clientAuthRequired: true } },
      'tls.clientRootCAs',
      'tls.clientRootCAs must list at least one CA certificate when tls.clientAuthRequired is true',
    ],
    [
      'client auth on a plaintext listener',
      { tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [CA_PEM], clientListenerEnabled: false, clientAuthRequired: true, clientRootCAs: [CA_PEM] } },
      'tls.clientAuthRequired',
      'tls.clientAuthRequired must be false when tls.clientListenerEnabled is false, got true',
    ],
    [
      'operations client auth without operations TLS',
      { tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [CA_PEM], operationsClientAuthRequired: true, clientRootCAs: [CA_PEM] } },
      'tls.operationsClientAuthRequired',
      'tls.operationsClientAuthRequired must be false when tls.operationsEnabled is false, got true',
    ],
    [
      'operations client auth without client CAs',
      { tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [CA_PEM], operationsEnabled: true, operationsClientAuthRequired: true } },
      'tls.clientRootCAs',
      'tls.clientRootCAs must list at least one CA certificate when tls.operationsClientAuthRequired is true',
    ],
    [
      'clientListenerEnabled not boolean',
      { tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [CA_PEM], clientListenerEnabled: 'yes' } },
      'tls.clientListenerEnabled',
      'tls.clientListenerEnabled must be true or false, got "yes"',
    ],
    ['msp missing', { msp: undefined }, 'msp', 'msp must be a mapping with mspId (and dir), got nothing'],
    ['msp without mspId', { msp: { dir: 'msp' } }, 'msp.mspId', 'msp.mspId is required'],
    [
      'msp dir that is a file',
      { msp: { dir: 'tls/ca.crt', mspId: 'OrdererMSP' } },
      'msp.dir',
      `msp.dir must be a local MSP directory, but ${path.join(dir, 'tls/ca.crt')} is not a directory`,
    ],
    [
      'msp dir that does not exist',
      { msp: { dir: 'nowhere', mspId: 'OrdererMSP' } },
      'msp.dir',
      `msp.dir must be a local MSP directory, but ${path.join(dir, 'nowhere')} is not a directory`,
    ],
    ['unknown engine', { engine: 'wasm' }, 'engine', 'engine must be one of native, native-free, got "wasm"'],
    ['poolSize 0', { poolSize: 0 }, 'poolSize', 'poolSize must be an integer in 1..256, got 0'],
    ['unknown log level', { logLevel: 'verbose' }, 'logLevel', 'logLevel must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [
      'authenticationTimeWindow too short',
      { authenticationTimeWindow: '1ms' },
      'authenticationTimeWindow',
      'authenticationTimeWindow must be between 1000ms and 604800000ms, got "1ms"',
    ],
    ['dataDir empty', { dataDir: '' }, 'dataDir', 'dataDir must be a non-empty string, got ""'],
    [
      'unknown field',
      { listenAddress: '0.0.0.0:7050' },
      'listenAddress',
      'listenAddress is not a known field (known fields: id, listen, tls, msp, dataDir, engine, poolSize, logLevel, authenticationTimeWindow, broadcastAck, broadcastAckTimeout, txIdHorizon, channels)',
    ],
    ['broadcastAck unknown', { broadcastAck: 'durable' }, 'broadcastAck', 'broadcastAck must be one of accepted, committed, got "durable"'],
    [
      'broadcastAckTimeout too short',
      { broadcastAckTimeout: '10ms' },
      'broadcastAckTimeout',
      'broadcastAckTimeout must be between 100ms and 600000ms, got "10ms"',
    ],
    ['txIdHorizon too small', { txIdHorizon: 100 }, 'txIdHorizon', 'txIdHorizon must be an integer in 1024..268435456, got 100'],
    ['txIdHorizon not an integer', { txIdHorizon: '1M' }, 'txIdHorizon', 'txIdHorizon must be an integer, got "1M"'],
    [
      'channel error, named from the top',
      { channels: [minimalChannel({ batchSize: { preferredMaxBytes: 20_000_000 } })] },
      'channels[0].batchSize.preferredMaxBytes',
      'channels[0].batchSize.preferredMaxBytes must be <= absoluteMaxBytes (10485760), got 20000000',
    ],
    [
      'channel this node does not order',
      { id: 3, channels: [minimalChannel()] },
      'channels[0].consenters',
      "channels[0].consenters must be a list that includes this node's id 3, got [1]",
    ],
    [
      'two channels with one id',
      { channels: [minimalChannel(), minimalChannel()] },
      'channels[1].channelId',
      'channels[1].channelId must be unique (channels[0] has it too), got "mychannel"',
    ],
  ])('%s', (_name, overrides, field, message) => {
    const input = minimalNode(overrides);
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete input[key];
    expect(refusal(input)).toEqual({ field, message });
  });

  it('refuses a PEM file over the size bound, naming field and file', () => {
    const big = path.join(dir, 'big.crt');
    writeFileSync(big, `${CA_PEM}${'#'.repeat(1024 * 1024)}`);
    const { field, message } = refusal(minimalNode({ tls: { cert: 'big.crt', key: KEY_PEM, rootCAs: [CA_PEM] } }));
    expect(field).toBe('tls.cert');
    expect(message).toMatch(
      new RegExp(`^tls\\.cert names file ${big.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} of \\d+ bytes; a PEM file must be at most 1048576 bytes$`),
    );
  });

  it('refuses a config that is not a mapping', () => {
    expect(refusal('id: 1')).toEqual({ field: 'the config', message: 'the config must be a mapping, got "id: 1"' });
  });
});

describe('loading config files', () => {
  const nodeDir = path.join(dir, 'node1');
  const channelDir = path.join(dir, 'channels');
  mkdirSync(path.join(nodeDir, 'msp'), { recursive: true });
  mkdirSync(channelDir);
  // The channel file names its certificates relative to ITS directory.
  writeFileSync(
    path.join(channelDir, 'mychannel.yaml'),
    stringify({
      channelId: 'mychannel',
      consenters: [{ id: 1, host: '127.0.0.1', port: 7051, clientTlsCert: '../tls/server.crt', serverTlsCert: '../tls/server.crt' }],
      organizations: [{ mspId: 'Org1MSP', rootCerts: ['../tls/ca.crt'] }],
      batchTimeout: '100ms',
    }),
  );

  it('loads a YAML node config, resolving paths from the file’s directory and channel files from theirs', () => {
    const file = path.join(nodeDir, 'orderer.yaml');
    writeFileSync(
      file,
      [
        'id: 1',
        'listen:',
        '  client: 127.0.0.1:0',
        'tls:',
        '  cert: ../tls/server.crt',
        '  key: ../tls/server.key',
        '  rootCAs: [../tls/ca.crt]',
        'msp:',
        '  dir: msp',
        '  mspId: OrdererMSP',
        'dataDir: ./ledger',
        'engine: native-free',
        'poolSize: 2',
        'logLevel: debug',
        'authenticationTimeWindow: 5m',
        'channels:',
        '  - ../channels/mychannel.yaml',
        '',
      ].join('\n'),
    );
    const config = loadNodeConfig(file);
    expect(config.configFile).toBe(file);
    expect(config.listen.client).toBe('127.0.0.1:0');
    expect(config.tls.certPem).toBe(CERT_PEM);
    expect(config.tls.keyPem).toBe(KEY_PEM);
    expect(config.msp.dir).toBe(path.join(nodeDir, 'msp'));
    expect(config.dataDir).toBe(path.join(nodeDir, 'ledger'));
    expect([config.engine, config.poolSize, config.logLevel, config.authenticationTimeWindowMs]).toEqual(['native-free', 2, 'debug', 300_000]);
    expect(config.channels.map((c) => [c.channelId, c.batchTimeoutMs, c.consenters[0]!.serverTlsCertPem === CERT_PEM])).toEqual([['mychannel', 100, true]]);
  });

  it('loads the same node config from JSON', () => {
    const file = path.join(nodeDir, 'orderer.json');
    writeFileSync(
      file,
      JSON.stringify({ id: 1, tls: { cert: '../tls/server.crt', key: '../tls/server.key', rootCAs: ['../tls/ca.crt'] }, msp: { mspId: 'OrdererMSP' } }),
    );
    expect(loadNodeConfig(file).tls.rootCaPems).toEqual([CA_PEM]);
  });

  it('names the channel file an error comes from', () => {
    writeFileSync(path.join(channelDir, 'bad.yaml'), stringify({ ...minimalChannel(), raft: { electionTick: 1 } }));
    const file = path.join(nodeDir, 'bad-channel.yaml');
    writeFileSync(file, stringify({ ...minimalNode(), channels: ['../channels/bad.yaml'] }));
    expect(() => loadNodeConfig(file)).toThrow(
      `channels[0].raft.electionTick must be greater than heartbeatTick (1), got 1 (in channel file ${path.join(channelDir, 'bad.yaml')})`,
    );
  });

  it('loads a standalone channel config file', () => {
    expect(loadChannelConfig(path.join(channelDir, 'mychannel.yaml')).organizations[0]!.rootCerts).toEqual([CA_PEM]);
  });

  it('reports YAML syntax errors with file and line', () => {
    const file = path.join(nodeDir, 'broken.yaml');
    writeFileSync(file, 'id: 1\ntls:\n  cert: [unclosed\n');
    try {
      loadNodeConfig(file);
      expect.unreachable('broken YAML was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigFileError);
      expect((error as ConfigFileError).code).toBe('BAD_CONFIG_FILE');
      expect((error as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not valid YAML \\(line \\d+, column \\d+\\)`));
    }
  });

  it('refuses duplicate YAML keys instead of keeping the last one', () => {
    const file = path.join(nodeDir, 'duplicate.yaml');
    writeFileSync(file, 'id: 1\nid: 2\n');
    expect(() => loadNodeConfig(file)).toThrow(ConfigFileError);
  });

  it('reports invalid JSON and missing files as ConfigFileError naming the file', () => {
    const file = path.join(nodeDir, 'broken.json');
    writeFileSync(file, '{"id": 1,');
    expect(() => loadNodeConfig(file)).toThrow(`${file}: is not valid JSON`);
    const missing = path.join(nodeDir, 'missing.yaml');
    expect(() => loadNodeConfig(missing)).toThrow(`${missing}: cannot read: ENOENT`);
  });

  it('refuses files over the size bound', () => {
    const file = path.join(nodeDir, 'huge.yaml');
    writeFileSync(file, `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(() => loadNodeConfig(file)).toThrow(/a config file must be at most 1048576 bytes/);
  });
});
