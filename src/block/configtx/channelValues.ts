// The plain, typed view of a channel config that the orderer acts on:
// everything extractChannelConfig reads from a config block and everything
// buildConfigEnvelope needs to write one. Certificates are PEM text.

import type { HashAlgorithm, OrganizationConfig, SignatureAlgorithm } from '../../crypto/index.js';
import type { BatchSize } from '../blockCutter.js';

/** Where in the config tree an organization is defined. */
export type OrganizationSection = 'orderer' | 'application';

export interface OrganizationValues {
  readonly mspId: string;
  /** Sections whose groups define this MSP (the same MSP may serve both, as Fabric's SampleOrg). */
  readonly sections: readonly OrganizationSection[];
  readonly rootCerts: readonly string[];
  readonly intermediateCerts: readonly string[];
  /** Explicit admin certificates (FabricMSPConfig.admins). */
  readonly adminCerts: readonly string[];
  readonly tlsRootCerts: readonly string[];
  readonly tlsIntermediateCerts: readonly string[];
  /** NodeOUs admin OU when NodeOUs are enabled: a certificate with this OU is an admin. */
  readonly adminOu?: string;
  /** Orderer endpoints of an orderer org ("host:port"), its Endpoints value. */
  readonly ordererEndpoints?: readonly string[];
}

export interface ConsenterValues {
  readonly host: string;
  readonly port: number;
  readonly clientTlsCertPem: string;
  readonly serverTlsCertPem: string;
}

/** etcdraft Options, with units. */
export interface RaftOptionValues {
  readonly tickIntervalMs: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly maxInflightBlocks: number;
  readonly snapshotIntervalSizeBytes: number;
}

/** Fabric's configtx.yaml defaults (DESIGN.md's Defaults). */
export const DEFAULT_RAFT_OPTIONS: RaftOptionValues = {
  tickIntervalMs: 500,
  electionTick: 10,
  heartbeatTick: 1,
  maxInflightBlocks: 5,
  snapshotIntervalSizeBytes: 20 * 1024 * 1024,
};

export interface ChannelConfigValues {
  readonly channelId: string;
  /** Config.sequence: 0 at genesis, +1 per config update. */
  readonly sequence: number;
  /** "etcdraft" for the channels this orderer runs; read as-is otherwise (e.g. "solo"). */
  readonly consensusType: string;
  /** Orderer organizations first, then application-only ones; one entry per MSP id. */
  readonly organizations: readonly OrganizationValues[];
  readonly batchSize: BatchSize;
  readonly batchTimeoutMs: number;
  /** In config order; empty for a non-etcdraft channel. */
  readonly consenters: readonly ConsenterValues[];
  /** Undefined for a non-etcdraft channel. */
  readonly raftOptions: RaftOptionValues | undefined;
  readonly hashAlgorithm: HashAlgorithm;
  /** The key type of the organizations' CAs (all must agree). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** Channel-level OrdererAddresses (deprecated in Fabric 2 in favour of org Endpoints). */
  readonly ordererAddresses: readonly string[];
  readonly capabilities: { readonly channel: readonly string[]; readonly orderer: readonly string[]; readonly application: readonly string[] };
  /** Whether the config has an Application group (configtxgen application channels do). */
  readonly hasApplicationGroup: boolean;
}

/** The config's organizations as the identity validators take them (MSP id, root and intermediate CAs). */
export function organizationConfigsOf(values: ChannelConfigValues): OrganizationConfig[] {
  return values.organizations.map((o) => ({ mspId: o.mspId, rootCerts: o.rootCerts, intermediateCerts: o.intermediateCerts }));
}

/** The organizations the config defines in its Orderer group (an MSP may serve both sections). */
export function ordererOrganizationsOf(values: Pick<ChannelConfigValues, 'organizations'>): OrganizationValues[] {
  return values.organizations.filter((o) => o.sections.includes('orderer'));
}
