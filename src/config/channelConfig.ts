// A channel's configuration: who orders it (consenters), whose members may use
// it (organizations), how blocks are cut and how Raft runs — with Fabric's
// defaults (configtx.yaml Orderer section and etcdraft Options).

import { fieldPath, booleanAt, byteSizeAt, durationMsAt, integerAt, objectAt, oneOfAt, refuse, stringAt, arrayAt } from './fields.js';
import { ConfigError } from './errors.js';
import { pemAt, pemListAt } from './pemSource.js';

const MIB = 1024 * 1024;

export type HashAlgorithmName = 'sha256' | 'sm3';
export type SignatureAlgorithmName = 'ecdsa-p256' | 'sm2';

/** The hash each signature algorithm is paired with (the GM suite is SM2 + SM3). */
export const HASH_FOR_SIGNATURE: Readonly<Record<SignatureAlgorithmName, HashAlgorithmName>> = { 'ecdsa-p256': 'sha256', sm2: 'sm3' };

/** Fabric's defaults; see CONFIG.md. */
export const CHANNEL_DEFAULTS = {
  batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * MIB, preferredMaxBytes: 2 * MIB },
  batchTimeoutMs: 2000,
  raft: {
    tickIntervalMs: 500,
    electionTick: 10,
    heartbeatTick: 1,
    maxInflightBlocks: 5,
    snapshotIntervalSizeBytes: 20 * MIB,
    evictionSuspicionMs: 600_000,
    leaderLossDetection: true,
    leaderLossGraceMs: 40,
  },
  signatureAlgorithm: 'ecdsa-p256' as SignatureAlgorithmName,
} as const;

export const CONSENTERS_MAX = 64;
export const ORGANIZATIONS_MAX = 256;
export const CA_CERTS_PER_ORGANIZATION_MAX = 64;
/** Fabric's channel name rule (configtx ValidateChannelID). */
const CHANNEL_ID = /^[a-z][a-z0-9.-]*$/;
const CHANNEL_ID_MAX_CHARS = 249;
const MSP_ID = /^[A-Za-z0-9._-]+$/;
const HOST = /^[A-Za-z0-9._-]+$|^\[?[0-9a-fA-F:]+\]?$/;
/** An orderer endpoint: host:port (IPv6 hosts in brackets). */
const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;
const UINT32_MAX = 0xffff_ffff;
/** Fabric's gRPC message bound (General.MaxRecvMsgSize): a block must fit in one message. */
const ABSOLUTE_MAX_BYTES_LIMIT = 100 * MIB;

/** As written in a file. Paths are relative to that file; certificates are paths or PEM. */
export interface ChannelConfigInput {
  channelId: string;
  consenters: ConsenterInput[];
  organizations: OrganizationInput[];
  batchSize?: { maxMessageCount?: number; absoluteMaxBytes?: number | string; preferredMaxBytes?: number | string };
  batchTimeout?: string;
  raft?: {
    tickInterval?: string;
    electionTick?: number;
    electionJitterTicks?: number;
    heartbeatTick?: number;
    maxInflightBlocks?: number;
    snapshotIntervalSize?: number | string;
    evictionSuspicion?: string;
    leaderLossDetection?: boolean;
    leaderLossGrace?: string;
  };
  hashAlgorithm?: HashAlgorithmName;
  signatureAlgorithm?: SignatureAlgorithmName;
}

export interface ConsenterInput {
  id: number;
  host: string;
  port: number;
  clientTlsCert: string;
  serverTlsCert: string;
}

export interface OrganizationInput {
  mspId: string;
  rootCerts: string[];
  intermediateCerts?: string[];
  /** Certificates of the organization's admins (FabricMSPConfig.admins in block 0): they may sign config updates. */
  adminCerts?: string[];
  /** CAs of the TLS certificates of this organization's nodes (FabricMSPConfig.tls_root_certs): consenter certificates in config updates are checked against them. */
  tlsRootCerts?: string[];
  /** host:port of this organization's orderers' client (Broadcast/Deliver) listeners: where other orderers pull blocks from (Fabric's org Endpoints). */
  ordererEndpoints?: string[];
}

/** Filled and validated: defaults applied, durations in ms, sizes in bytes, certificates as PEM. */
export interface ChannelConfig {
  readonly channelId: string;
  /** Invariant: ids unique and positive; host:port unique; 1..CONSENTERS_MAX entries. */
  readonly consenters: readonly ConsenterConfig[];
  /** Invariant: mspIds unique; 1..ORGANIZATIONS_MAX entries. */
  readonly organizations: readonly OrganizationConfigFilled[];
  /** Invariant: preferredMaxBytes <= absoluteMaxBytes. */
  readonly batchSize: { readonly maxMessageCount: number; readonly absoluteMaxBytes: number; readonly preferredMaxBytes: number };
  readonly batchTimeoutMs: number;
  readonly raft: RaftOptionsConfig;
  /** Invariant: hashAlgorithm === HASH_FOR_SIGNATURE[signatureAlgorithm]. */
  readonly hashAlgorithm: HashAlgorithmName;
  readonly signatureAlgorithm: SignatureAlgorithmName;
}

export interface ConsenterConfig {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly clientTlsCertPem: string;
  readonly serverTlsCertPem: string;
}

/** The crypto layer's OrganizationConfig, plus the admins written into the genesis block. */
export interface OrganizationConfigFilled {
  readonly mspId: string;
  readonly rootCerts: readonly string[];
  readonly intermediateCerts: readonly string[];
  readonly adminCerts: readonly string[];
  readonly tlsRootCerts: readonly string[];
  readonly ordererEndpoints: readonly string[];
}

export interface RaftOptionsConfig {
  readonly tickIntervalMs: number;
  /** Invariant: electionTick > heartbeatTick >= 1. */
  readonly electionTick: number;
  /** 1..electionTick distinct election timeouts; absent: the chain's default (half of electionTick). A node setting. */
  readonly electionJitterTicks?: number;
  readonly heartbeatTick: number;
  readonly maxInflightBlocks: number;
  readonly snapshotIntervalSizeBytes: number;
  readonly evictionSuspicionMs: number;
  /** Early campaign when the stream to the leader closes (a node setting, as evictionSuspicion). */
  readonly leaderLossDetection: boolean;
  readonly leaderLossGraceMs: number;
}

const CHANNEL_KEYS = ['channelId', 'consenters', 'organizations', 'batchSize', 'batchTimeout', 'raft', 'hashAlgorithm', 'signatureAlgorithm'];

/** Validates `input` (parsed YAML/JSON) found at `at` ("" for a file's top); relative paths resolve from `baseDir`. */
export function fillChannelConfig(input: unknown, at: string, baseDir: string): ChannelConfig {
  const record = objectAt(at, input, CHANNEL_KEYS);
  const channelId = stringAt(fieldPath(at, 'channelId'), record['channelId'], {
    pattern: CHANNEL_ID,
    patternRule: 'a channel name of lower-case letters, digits, "." and "-", starting with a letter',
    maxLength: CHANNEL_ID_MAX_CHARS,
  });
  const signatureAlgorithm =
    record['signatureAlgorithm'] === undefined
      ? CHANNEL_DEFAULTS.signatureAlgorithm
      : oneOfAt(fieldPath(at, 'signatureAlgorithm'), record['signatureAlgorithm'], ['ecdsa-p256', 'sm2'] as const);
  const pairedHash = HASH_FOR_SIGNATURE[signatureAlgorithm];
  const hashAlgorithm =
    record['hashAlgorithm'] === undefined ? pairedHash : oneOfAt(fieldPath(at, 'hashAlgorithm'), record['hashAlgorithm'], ['sha256', 'sm3'] as const);
  if (hashAlgorithm !== pairedHash) {
    refuse(fieldPath(at, 'hashAlgorithm'), `${pairedHash} with signatureAlgorithm ${signatureAlgorithm}`, hashAlgorithm);
  }
  return {
    channelId,
    consenters: fillConsenters(fieldPath(at, 'consenters'), record['consenters'], baseDir),
    organizations: fillOrganizations(fieldPath(at, 'organizations'), record['organizations'], baseDir),
    batchSize: fillBatchSize(fieldPath(at, 'batchSize'), record['batchSize']),
    batchTimeoutMs:
      record['batchTimeout'] === undefined
        ? CHANNEL_DEFAULTS.batchTimeoutMs
        : durationMsAt(fieldPath(at, 'batchTimeout'), record['batchTimeout'], 1, 3_600_000),
    raft: fillRaftOptions(fieldPath(at, 'raft'), record['raft']),
    hashAlgorithm,
    signatureAlgorithm,
  };
}

function fillConsenters(at: string, value: unknown, baseDir: string): ConsenterConfig[] {
  const consenters = arrayAt(at, value, 1, CONSENTERS_MAX).map((entry, i): ConsenterConfig => {
    const path = fieldPath(at, i);
    const record = objectAt(path, entry, ['id', 'host', 'port', 'clientTlsCert', 'serverTlsCert']);
    return {
      id: integerAt(fieldPath(path, 'id'), record['id'], 1, UINT32_MAX),
      host: stringAt(fieldPath(path, 'host'), record['host'], { pattern: HOST, patternRule: 'a host name or IP address', maxLength: 253 }),
      port: integerAt(fieldPath(path, 'port'), record['port'], 1, 65535),
      clientTlsCertPem: pemAt(fieldPath(path, 'clientTlsCert'), record['clientTlsCert'], baseDir, 'CERTIFICATE'),
      serverTlsCertPem: pemAt(fieldPath(path, 'serverTlsCert'), record['serverTlsCert'], baseDir, 'CERTIFICATE'),
    };
  });
  rejectDuplicates(at, consenters, (c) => String(c.id), 'id');
  rejectDuplicates(at, consenters, (c) => `${c.host}:${c.port}`, 'host:port');
  return consenters;
}

function fillOrganizations(at: string, value: unknown, baseDir: string): OrganizationConfigFilled[] {
  const organizations = arrayAt(at, value, 1, ORGANIZATIONS_MAX).map((entry, i): OrganizationConfigFilled => {
    const path = fieldPath(at, i);
    const record = objectAt(path, entry, ['mspId', 'rootCerts', 'intermediateCerts', 'adminCerts', 'tlsRootCerts', 'ordererEndpoints']);
    const intermediates = record['intermediateCerts'] ?? [];
    return {
      mspId: stringAt(fieldPath(path, 'mspId'), record['mspId'], {
        pattern: MSP_ID,
        patternRule: 'an MSP id of letters, digits, ".", "_" and "-"',
        maxLength: 128,
      }),
      rootCerts: pemListAt(fieldPath(path, 'rootCerts'), record['rootCerts'], baseDir, 'CERTIFICATE', 1, CA_CERTS_PER_ORGANIZATION_MAX),
      intermediateCerts: pemListAt(fieldPath(path, 'intermediateCerts'), intermediates, baseDir, 'CERTIFICATE', 0, CA_CERTS_PER_ORGANIZATION_MAX),
      adminCerts: pemListAt(fieldPath(path, 'adminCerts'), record['adminCerts'] ?? [], baseDir, 'CERTIFICATE', 0, CA_CERTS_PER_ORGANIZATION_MAX),
      tlsRootCerts: pemListAt(fieldPath(path, 'tlsRootCerts'), record['tlsRootCerts'] ?? [], baseDir, 'CERTIFICATE', 0, CA_CERTS_PER_ORGANIZATION_MAX),
      ordererEndpoints: arrayAt(fieldPath(path, 'ordererEndpoints'), record['ordererEndpoints'] ?? [], 0, CONSENTERS_MAX).map((endpoint, j) =>
        stringAt(fieldPath(fieldPath(path, 'ordererEndpoints'), j), endpoint, { pattern: ENDPOINT, patternRule: 'host:port', maxLength: 300 }),
      ),
    };
  });
  rejectDuplicates(at, organizations, (o) => o.mspId, 'mspId');
  return organizations;
}

function fillBatchSize(at: string, value: unknown): ChannelConfig['batchSize'] {
  const defaults = CHANNEL_DEFAULTS.batchSize;
  const record = value === undefined ? {} : objectAt(at, value, ['maxMessageCount', 'absoluteMaxBytes', 'preferredMaxBytes']);
  const maxMessageCount =
    record['maxMessageCount'] === undefined ? defaults.maxMessageCount : integerAt(fieldPath(at, 'maxMessageCount'), record['maxMessageCount'], 1, UINT32_MAX);
  const absoluteMaxBytes =
    record['absoluteMaxBytes'] === undefined
      ? defaults.absoluteMaxBytes
      : byteSizeAt(fieldPath(at, 'absoluteMaxBytes'), record['absoluteMaxBytes'], 1, ABSOLUTE_MAX_BYTES_LIMIT);
  // A default never breaks a rule: with a small absoluteMaxBytes the default preferred size shrinks to it.
  const preferredMaxBytes =
    record['preferredMaxBytes'] === undefined
      ? Math.min(defaults.preferredMaxBytes, absoluteMaxBytes)
      : byteSizeAt(fieldPath(at, 'preferredMaxBytes'), record['preferredMaxBytes'], 1, UINT32_MAX);
  if (preferredMaxBytes > absoluteMaxBytes) {
    refuse(fieldPath(at, 'preferredMaxBytes'), `<= absoluteMaxBytes (${absoluteMaxBytes})`, record['preferredMaxBytes']);
  }
  return { maxMessageCount, absoluteMaxBytes, preferredMaxBytes };
}

function fillRaftOptions(at: string, value: unknown): RaftOptionsConfig {
  const defaults = CHANNEL_DEFAULTS.raft;
  const record =
    value === undefined
      ? {}
      : objectAt(at, value, [
          'tickInterval',
          'electionTick',
          'electionJitterTicks',
          'heartbeatTick',
          'maxInflightBlocks',
          'snapshotIntervalSize',
          'evictionSuspicion',
          'leaderLossDetection',
          'leaderLossGrace',
        ]);
  const heartbeatTick =
    record['heartbeatTick'] === undefined ? defaults.heartbeatTick : integerAt(fieldPath(at, 'heartbeatTick'), record['heartbeatTick'], 1, 1000);
  const electionTick =
    record['electionTick'] === undefined ? defaults.electionTick : integerAt(fieldPath(at, 'electionTick'), record['electionTick'], 1, 10_000);
  if (electionTick <= heartbeatTick) {
    refuse(fieldPath(at, 'electionTick'), `greater than heartbeatTick (${heartbeatTick})`, electionTick);
  }
  const jitter = record['electionJitterTicks'];
  return {
    ...(jitter !== undefined && { electionJitterTicks: integerAt(fieldPath(at, 'electionJitterTicks'), jitter, 1, electionTick) }),
    tickIntervalMs:
      record['tickInterval'] === undefined ? defaults.tickIntervalMs : durationMsAt(fieldPath(at, 'tickInterval'), record['tickInterval'], 1, 60_000),
    electionTick,
    heartbeatTick,
    maxInflightBlocks:
      record['maxInflightBlocks'] === undefined
        ? defaults.maxInflightBlocks
        : integerAt(fieldPath(at, 'maxInflightBlocks'), record['maxInflightBlocks'], 1, 1000),
    snapshotIntervalSizeBytes:
      record['snapshotIntervalSize'] === undefined
        ? defaults.snapshotIntervalSizeBytes
        : byteSizeAt(fieldPath(at, 'snapshotIntervalSize'), record['snapshotIntervalSize'], 1, 2 ** 40),
    evictionSuspicionMs:
      record['evictionSuspicion'] === undefined
        ? defaults.evictionSuspicionMs
        : durationMsAt(fieldPath(at, 'evictionSuspicion'), record['evictionSuspicion'], 1000, 7 * 24 * 3_600_000),
    leaderLossDetection:
      record['leaderLossDetection'] === undefined
        ? defaults.leaderLossDetection
        : booleanAt(fieldPath(at, 'leaderLossDetection'), record['leaderLossDetection']),
    leaderLossGraceMs:
      record['leaderLossGrace'] === undefined
        ? defaults.leaderLossGraceMs
        : durationMsAt(fieldPath(at, 'leaderLossGrace'), record['leaderLossGrace'], 1, 10_000),
  };
}

function rejectDuplicates<T>(at: string, items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) {
      throw new ConfigError(fieldPath(at, i), `${fieldPath(at, i)} repeats ${what} ${k} of ${fieldPath(at, first)}; each must be unique`);
    }
    seen.set(k, i);
  });
}
