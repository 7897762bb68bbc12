// The config files `orderer keygen` writes, in the config layer's input
// schema (src/config: NodeConfigInput, ChannelConfigInput). Paths in a file
// are relative to that file's directory, so an output directory can be moved.

import path from 'node:path';
import { stringify } from 'yaml';
import type { ChannelConfigInput, NodeConfigInput } from '../../config/index.js';
import type { OrganizationConfig } from '../../crypto/index.js';
import type { Engine, SignatureAlgorithm } from '../../crypto/index.js';
import type { NodePorts } from './layout.js';

export interface GeneratedNode {
  readonly id: number;
  readonly host: string;
  readonly ports: NodePorts;
  /** Paths relative to the output directory. */
  readonly paths: {
    readonly dir: string;
    readonly mspDir: string;
    readonly tlsCert: string;
    readonly tlsKey: string;
    readonly config: string;
    readonly data: string;
  };
  readonly tlsCertPem: string;
}

export interface ChannelFileSpec {
  readonly channelId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly nodes: readonly GeneratedNode[];
  readonly organizations: readonly OrganizationConfig[];
  /** Admin certificate files per MSP id (relative to the output directory): written as the organization's adminCerts. */
  readonly adminCertFiles?: Readonly<Record<string, string>>;
  /** TLS CA file per MSP id (relative to the output directory): written as the organization's tlsRootCerts. */
  readonly tlsRootCertFiles?: Readonly<Record<string, string>>;
  /** Orderer client endpoints per MSP id (host:port): written as the organization's ordererEndpoints. */
  readonly ordererEndpoints?: Readonly<Record<string, readonly string[]>>;
  readonly tickIntervalMs?: number | undefined;
  readonly electionTick?: number | undefined;
  /** Raft snapshot interval as Fabric writes it ("20 MB"); default the channel config's. */
  readonly snapshotIntervalSize?: string | undefined;
  readonly batchTimeoutMs?: number | undefined;
  readonly maxMessageCount?: number | undefined;
}

/** `channels/<id>.yaml`: consenters' TLS certificates by path, organization CAs inline. */
export function renderChannelConfig(spec: ChannelFileSpec): string {
  const fromChannelsDir = (relative: string): string => path.posix.join('..', relative);
  const input: ChannelConfigInput = {
    channelId: spec.channelId,
    signatureAlgorithm: spec.algorithm,
    consenters: spec.nodes.map((node) => ({
      id: node.id,
      host: node.host,
      port: node.ports.cluster,
      clientTlsCert: fromChannelsDir(node.paths.tlsCert),
      serverTlsCert: fromChannelsDir(node.paths.tlsCert),
    })),
    organizations: spec.organizations.map((org) => {
      const adminFile = spec.adminCertFiles?.[org.mspId];
      const tlsRootFile = spec.tlsRootCertFiles?.[org.mspId];
      return {
        mspId: org.mspId,
        rootCerts: [...org.rootCerts],
        intermediateCerts: [...org.intermediateCerts],
        ...(adminFile !== undefined && { adminCerts: [fromChannelsDir(adminFile)] }),
        ...(tlsRootFile !== undefined && { tlsRootCerts: [fromChannelsDir(tlsRootFile)] }),
        ...(spec.ordererEndpoints?.[org.mspId] !== undefined && { ordererEndpoints: [...spec.ordererEndpoints[org.mspId]!] }),
      };
    }),
    ...(spec.batchTimeoutMs !== undefined && { batchTimeout: `${spec.batchTimeoutMs}ms` }),
    ...(spec.maxMessageCount !== undefined && { batchSize: { maxMessageCount: spec.maxMessageCount } }),
    raft: {
      ...(spec.tickIntervalMs !== undefined && { tickInterval: `${spec.tickIntervalMs}ms` }),
      ...(spec.electionTick !== undefined && { electionTick: spec.electionTick }),
      ...(spec.snapshotIntervalSize !== undefined && { snapshotIntervalSize: spec.snapshotIntervalSize }),
    },
  };
  return `# Channel ${spec.channelId}, written by orderer keygen.\n${stringify(input)}`;
}

export interface NodeFileSpec {
  readonly node: GeneratedNode;
  readonly engine: Engine;
  readonly mspId: string;
  /** Relative to the output directory. */
  readonly channelConfigFile: string;
  readonly tlsCaFile: string;
}

/** `nodes/node<i>/orderer.yaml`. */
export function renderNodeConfig(spec: NodeFileSpec): string {
  const { node } = spec;
  const relative = (target: string): string => path.posix.relative(node.paths.dir, target);
  const input: NodeConfigInput = {
    id: node.id,
    listen: {
      client: `${node.host}:${node.ports.client}`,
      cluster: `${node.host}:${node.ports.cluster}`,
      operations: `${node.host}:${node.ports.operations}`,
    },
    tls: {
      cert: relative(node.paths.tlsCert),
      key: relative(node.paths.tlsKey),
      rootCAs: [relative(spec.tlsCaFile)],
      clientListenerEnabled: true,
    },
    msp: { dir: relative(node.paths.mspDir), mspId: spec.mspId },
    dataDir: relative(node.paths.data),
    engine: spec.engine,
    channels: [relative(spec.channelConfigFile)],
  };
  return `# Orderer node ${node.id}, written by orderer keygen.\n${stringify(input)}`;
}
