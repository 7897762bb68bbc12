// One orderer node's configuration: its consenter id, listeners, TLS
// material, signing identity (local MSP), storage, engine, worker pool, log
// level, and the channels it serves (inline or as channel config files).

import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillChannelConfig, type ChannelConfig, type ChannelConfigInput } from './channelConfig.js';
import { ConfigError } from './errors.js';
import { arrayAt, booleanAt, durationMsAt, fieldPath, integerAt, objectAt, oneOfAt, refuse, stringAt } from './fields.js';
import { pemAt, pemListAt } from './pemSource.js';

export type EngineName = 'native' | 'native-free';
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const NODE_DEFAULTS = {
  listen: { client: '127.0.0.1:7050', cluster: '127.0.0.1:7051', operations: '127.0.0.1:8443' },
  mspDir: 'msp',
  dataDir: 'data',
  engine: 'native' as EngineName,
  logLevel: 'info' as LogLevelName,
  authenticationTimeWindowMs: 15 * 60_000,
  broadcastAck: 'accepted' as BroadcastAckName,
  broadcastAckTimeoutMs: 10_000,
  /** The storage layer's TX_ID_HORIZON_DEFAULT: each channel's newest 1,048,576 tx ids are recognized as duplicates. */
  txIdHorizon: 1_048_576,
  tls: { clientListenerEnabled: true, clientAuthRequired: false, operationsEnabled: false, operationsClientAuthRequired: false },
} as const;

export const CHANNELS_PER_NODE_MAX = 1024;
export const POOL_SIZE_MAX = 256;
/** txIdHorizon's range: below a block's worth of tx ids it would be no horizon; the storage layer's TX_ID_HORIZON_MAX above. */
export const TX_ID_HORIZON_RANGE = { min: 1024, max: 2 ** 28 } as const;
const ENGINES: readonly EngineName[] = ['native', 'native-free'];
/** When Broadcast answers SUCCESS: accepted for ordering (Fabric) or committed by a Raft quorum. */
export type BroadcastAckName = 'accepted' | 'committed';
const BROADCAST_ACKS: readonly BroadcastAckName[] = ['accepted', 'committed'];
const LOG_LEVELS: readonly LogLevelName[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** As written in a file; paths are relative to the file's directory. */
export interface NodeConfigInput {
  id: number;
  listen?: { client?: string; cluster?: string; operations?: string };
  tls: {
    cert: string;
    key: string;
    rootCAs: string[];
    clientListenerEnabled?: boolean;
    clientAuthRequired?: boolean;
    clientRootCAs?: string[];
    operationsEnabled?: boolean;
    operationsClientAuthRequired?: boolean;
  };
  msp: { dir?: string; mspId: string };
  dataDir?: string;
  engine?: EngineName;
  poolSize?: number;
  logLevel?: LogLevelName;
  /** Go duration; Deliver requests timestamped further from the server clock are refused (Fabric's General.Authentication.TimeWindow). */
  authenticationTimeWindow?: string;
  /** When Broadcast answers SUCCESS for clients that do not choose (request header `orderer-ack`). */
  broadcastAck?: BroadcastAckName;
  /** Go duration: how long a 'committed' acknowledgement waits for the block before SERVICE_UNAVAILABLE. */
  broadcastAckTimeout?: string;
  /** How many of each channel's newest committed tx ids are recognized as duplicates (older ones would be ordered again). */
  txIdHorizon?: number;
  /** Each an inline channel config or the path of a channel config file. */
  channels?: (ChannelConfigInput | string)[];
}

export interface NodeConfig {
  /** Absolute path of the file it was loaded from, if any. */
  readonly configFile: string | undefined;
  /** Consenter id of this node. Invariant: listed among the consenters of every channel. */
  readonly id: number;
  readonly listen: { readonly client: string; readonly cluster: string; readonly operations: string };
  readonly tls: NodeTlsConfig;
  readonly msp: { readonly dir: string; readonly mspId: string };
  /** Absolute. */
  readonly dataDir: string;
  readonly engine: EngineName;
  /** Worker threads of the crypto/hash pool. */
  readonly poolSize: number;
  readonly logLevel: LogLevelName;
  readonly authenticationTimeWindowMs: number;
  readonly broadcastAck: BroadcastAckName;
  readonly broadcastAckTimeoutMs: number;
  /** Each channel's newest committed tx ids recognized as duplicates, at least. */
  readonly txIdHorizon: number;
  /** Invariant: channelIds unique. */
  readonly channels: readonly ChannelConfig[];
}

export interface NodeTlsConfig {
  /** Presented by the client listener, the cluster listener, and as the cluster client certificate. */
  readonly certPem: string;
  readonly keyPem: string;
  /** CAs of the consenters' TLS certificates (cluster mutual TLS). */
  readonly rootCaPems: readonly string[];
  /** TLS on the client (Broadcast/Deliver) listener. */
  readonly clientListenerEnabled: boolean;
  /** Invariant: clientAuthRequired implies clientListenerEnabled and clientRootCaPems non-empty. */
  readonly clientAuthRequired: boolean;
  readonly clientRootCaPems: readonly string[];
  /** HTTPS on the operations listener, with tls.cert/key (Fabric's Operations.TLS). */
  readonly operationsEnabled: boolean;
  /** Invariant: implies operationsEnabled and clientRootCaPems non-empty. */
  readonly operationsClientAuthRequired: boolean;
}

const NODE_KEYS = [
  'id',
  'listen',
  'tls',
  'msp',
  'dataDir',
  'engine',
  'poolSize',
  'logLevel',
  'authenticationTimeWindow',
  'broadcastAck',
  'broadcastAckTimeout',
  'txIdHorizon',
  'channels',
];

/**
 * Validates `input` (parsed YAML/JSON) and fills defaults. Relative paths
 * resolve from `baseDir`; `readChannelFile` loads a channel entry given as a path.
 */
export function fillNodeConfig(input: unknown, baseDir: string, configFile: string | undefined, readChannelFile: (file: string) => unknown): NodeConfig {
  const record = objectAt('', input, NODE_KEYS);
  const id = integerAt('id', record['id'], 1, 0xffff_ffff);
  const channels = fillChannels(record['channels'], baseDir, readChannelFile);
  channels.forEach((channel, i) => {
    if (!channel.consenters.some((c) => c.id === id)) {
      refuse(
        fieldPath(`channels[${i}]`, 'consenters'),
        `a list that includes this node's id ${id}`,
        channel.consenters.map((c) => c.id),
      );
    }
  });
  return {
    configFile,
    id,
    listen: fillListen(record['listen']),
    tls: fillTls(record['tls'], baseDir),
    msp: fillMsp(record['msp'], baseDir),
    dataDir: path.resolve(baseDir, record['dataDir'] === undefined ? NODE_DEFAULTS.dataDir : stringAt('dataDir', record['dataDir'])),
    engine: record['engine'] === undefined ? NODE_DEFAULTS.engine : oneOfAt('engine', record['engine'], ENGINES),
    poolSize: record['poolSize'] === undefined ? defaultPoolSize() : integerAt('poolSize', record['poolSize'], 1, POOL_SIZE_MAX),
    logLevel: record['logLevel'] === undefined ? NODE_DEFAULTS.logLevel : oneOfAt('logLevel', record['logLevel'], LOG_LEVELS),
    authenticationTimeWindowMs:
      record['authenticationTimeWindow'] === undefined
        ? NODE_DEFAULTS.authenticationTimeWindowMs
        : durationMsAt('authenticationTimeWindow', record['authenticationTimeWindow'], 1000, 7 * 24 * 3_600_000),
    broadcastAck: record['broadcastAck'] === undefined ? NODE_DEFAULTS.broadcastAck : oneOfAt('broadcastAck', record['broadcastAck'], BROADCAST_ACKS),
    broadcastAckTimeoutMs:
      record['broadcastAckTimeout'] === undefined
        ? NODE_DEFAULTS.broadcastAckTimeoutMs
        : durationMsAt('broadcastAckTimeout', record['broadcastAckTimeout'], 100, 600_000),
    txIdHorizon:
      record['txIdHorizon'] === undefined
        ? NODE_DEFAULTS.txIdHorizon
        : integerAt('txIdHorizon', record['txIdHorizon'], TX_ID_HORIZON_RANGE.min, TX_ID_HORIZON_RANGE.max),
    channels,
  };
}

/**
 * One worker per core. The main thread (Raft ticks and I/O) uses well under a
 * core, so leaving it a whole core capped verification at cores − 1 while that
 * core idled; instead the node lowers the workers' priority (POOL_WORKER_NICE
 * in src/node/configMapping.ts), so the main thread still wins a contended core.
 */
export function defaultPoolSize(): number {
  return Math.min(POOL_SIZE_MAX, Math.max(1, os.availableParallelism()));
}

function fillListen(value: unknown): NodeConfig['listen'] {
  const record = value === undefined ? {} : objectAt('listen', value, ['client', 'cluster', 'operations']);
  const address = (key: 'client' | 'cluster' | 'operations') => {
    const at = fieldPath('listen', key);
    if (record[key] === undefined) return NODE_DEFAULTS.listen[key];
    const text = stringAt(at, record[key], { pattern: HOST_PORT, patternRule: 'host:port (IPv6 hosts in brackets)', maxLength: 300 });
    const port = Number(HOST_PORT.exec(text)![2]);
    if (port > 65535) refuse(at, 'host:port with a port 0..65535', text);
    return text;
  };
  const listen = { client: address('client'), cluster: address('cluster'), operations: address('operations') };
  const ports = Object.entries(listen).filter(([, a]) => !a.endsWith(':0'));
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] === ports[j]![1]) {
        refuse(fieldPath('listen', ports[j]![0]), `different from listen.${ports[i]![0]}`, ports[j]![1]);
      }
    }
  }
  return listen;
}

function fillTls(value: unknown, baseDir: string): NodeTlsConfig {
  const record = objectAt('tls', value ?? refuse('tls', 'a mapping with cert, key and rootCAs', value), [
    'cert',
    'key',
    'rootCAs',
    'clientListenerEnabled',
    'clientAuthRequired',
    'clientRootCAs',
    'operationsEnabled',
    'operationsClientAuthRequired',
  ]);
  const defaults = NODE_DEFAULTS.tls;
  const clientListenerEnabled =
    record['clientListenerEnabled'] === undefined ? defaults.clientListenerEnabled : booleanAt('tls.clientListenerEnabled', record['clientListenerEnabled']);
  const clientAuthRequired =
    record['clientAuthRequired'] === undefined ? defaults.clientAuthRequired : booleanAt('tls.clientAuthRequired', record['clientAuthRequired']);
  const clientRootCaPems = pemListAt('tls.clientRootCAs', record['clientRootCAs'] ?? [], baseDir, 'CERTIFICATE', 0, 256);
  if (clientAuthRequired && !clientListenerEnabled) refuse('tls.clientAuthRequired', 'false when tls.clientListenerEnabled is false', true);
  if (clientAuthRequired && clientRootCaPems.length === 0) {
    throw new ConfigError('tls.clientRootCAs', 'tls.clientRootCAs must list at least one CA certificate when tls.clientAuthRequired is true');
  }
  const operationsEnabled =
    record['operationsEnabled'] === undefined ? defaults.operationsEnabled : booleanAt('tls.operationsEnabled', record['operationsEnabled']);
  const operationsClientAuthRequired =
    record['operationsClientAuthRequired'] === undefined
      ? defaults.operationsClientAuthRequired
      : booleanAt('tls.operationsClientAuthRequired', record['operationsClientAuthRequired']);
  if (operationsClientAuthRequired && !operationsEnabled) refuse('tls.operationsClientAuthRequired', 'false when tls.operationsEnabled is false', true);
  if (operationsClientAuthRequired && clientRootCaPems.length === 0) {
    throw new ConfigError('tls.clientRootCAs', 'tls.clientRootCAs must list at least one CA certificate when tls.operationsClientAuthRequired is true');
  }
  return {
    certPem: pemAt('tls.cert', record['cert'], baseDir, 'CERTIFICATE'),
    keyPem: pemAt('tls.key', record['key'], baseDir, 'PRIVATE KEY'),
    rootCaPems: pemListAt('tls.rootCAs', record['rootCAs'], baseDir, 'CERTIFICATE', 1, 256),
    clientListenerEnabled,
    clientAuthRequired,
    clientRootCaPems,
    operationsEnabled,
    operationsClientAuthRequired,
  };
}

function fillMsp(value: unknown, baseDir: string): NodeConfig['msp'] {
  const record = objectAt('msp', value ?? refuse('msp', 'a mapping with mspId (and dir)', value), ['dir', 'mspId']);
  const dir = path.resolve(baseDir, record['dir'] === undefined ? NODE_DEFAULTS.mspDir : stringAt('msp.dir', record['dir']));
  // Checked here so a wrong path is reported against the config field, not later by the MSP loader.
  if (!isDirectory(dir)) throw new ConfigError('msp.dir', `msp.dir must be a local MSP directory, but ${dir} is not a directory`);
  return {
    dir,
    mspId: stringAt('msp.mspId', record['mspId'], {
      pattern: /^[A-Za-z0-9._-]+$/,
      patternRule: 'an MSP id of letters, digits, ".", "_" and "-"',
      maxLength: 128,
    }),
  };
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw new ConfigError('msp.dir', `msp.dir names ${dir}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

function fillChannels(value: unknown, baseDir: string, readChannelFile: (file: string) => unknown): ChannelConfig[] {
  if (value === undefined) return [];
  const channels = arrayAt('channels', value, 0, CHANNELS_PER_NODE_MAX).map((entry, i) => {
    const at = `channels[${i}]`;
    if (typeof entry !== 'string') return fillChannelConfig(entry, at, baseDir);
    const file = path.resolve(baseDir, stringAt(at, entry));
    try {
      return fillChannelConfig(readChannelFile(file), at, path.dirname(file));
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(error.field, `${error.message} (in channel file ${file})`, { cause: error });
      throw error;
    }
  });
  const seen = new Map<string, number>();
  channels.forEach((channel, i) => {
    const first = seen.get(channel.channelId);
    if (first !== undefined) refuse(`channels[${i}].channelId`, `unique (channels[${first}] has it too)`, channel.channelId);
    seen.set(channel.channelId, i);
  });
  return channels;
}
