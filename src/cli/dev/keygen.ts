// `orderer keygen`: the keys, certificates and config files of a local
// cluster, in Fabric's layout (cryptogen-like local MSP directories):
//   - OrdererMSP (signing CA) issues each node's signing identity;
//   - Org1MSP issues the client identity the load generator signs with;
//   - one TLS CA issues each node's TLS certificate, used as gRPC server
//     certificate and as client certificate between orderers (pinned).
// TLS is always ECDSA P-256: Node's TLS stack has no SM2 cipher suites, so a
// GM (sm2) cluster signs transactions and blocks with SM2 and talks TLS on P-256.

import fs from 'node:fs';
import path from 'node:path';
import { DevOrganization } from '../../crypto/index.js';
import { localMspFiles, writeLocalMsp } from '../../crypto/index.js';
import { createCryptoProvider } from '../../crypto/index.js';
import type { Engine, SignatureAlgorithm } from '../../crypto/index.js';
import { CONSENTERS_MAX } from '../../chain/index.js';
import { loadNodeConfig } from '../../config/index.js';
import { renderChannelConfig, renderNodeConfig, type GeneratedNode } from './configFiles.js';
import { CliRunError } from '../errors.js';
import { LOCAL_TLS_SERVER_NAME, MANIFEST_FILE, nodePaths, writeManifest, type ClusterManifest, type NodePorts } from './layout.js';

export const ORDERER_MSP_ID = 'OrdererMSP';
export const CLIENT_MSP_ID = 'Org1MSP';
export const LOOPBACK = '127.0.0.1';
/** Local MSPs of the organizations' admins (relative to keygen's output directory). */
export const ADMIN_MSP_DIRS = { orderer: 'admins/orderer/msp', client: 'admins/org1/msp' } as const;
/** Domain of the TLS CA: its subject is O=<domain>, CN=ca.<domain> (DevOrganization's root). */
export const TLS_CA_DOMAIN = 'tls.example.com';
/**
 * The TLS CA's certificate and key (relative to keygen's output directory).
 * The key is kept, as cryptogen keeps tlsca/priv_sk, so `orderer keygen
 * reissue-tls` can issue a node a new TLS certificate from the same CA.
 */
export const TLS_CA_FILES = { cert: 'tlsca/ca.crt', key: 'tlsca/ca.key' } as const;

/** Subject common name and SANs of node `id`'s TLS certificate (keygen and reissue-tls issue the same). */
export function nodeTlsNames(id: number): { commonName: string; subjectAltNames: string[] } {
  const commonName = `orderer${id}.orderer.example.com`;
  return { commonName, subjectAltNames: [LOOPBACK, LOCAL_TLS_SERVER_NAME, commonName] };
}

export interface KeygenOptions {
  /** Output directory: created if missing; must not already hold a cluster. */
  readonly outDir: string;
  readonly nodes: number;
  readonly algorithm: SignatureAlgorithm;
  readonly channelId: string;
  /** Listener ports of node i at index i - 1 (length === nodes). */
  readonly ports: readonly NodePorts[];
  /** Engine written into the node configs. */
  readonly engine: Engine;
  /** Raft tick interval written into the channel config; default Fabric's (500). */
  readonly tickIntervalMs?: number;
  readonly electionTick?: number;
  /** Raft snapshot interval ("20 MB"); default the channel config's. */
  readonly snapshotIntervalSize?: string;
  readonly batchTimeoutMs?: number;
  readonly maxMessageCount?: number;
}

/** Ports of a cluster whose listeners are numbered from `basePort`: client, cluster +100, operations +200. */
export function portsFromBase(basePort: number, nodes: number): NodePorts[] {
  return Array.from({ length: nodes }, (_, i) => ({ client: basePort + i, cluster: basePort + 100 + i, operations: basePort + 200 + i }));
}

function writeFile(outDir: string, relative: string, content: string, secret = false): void {
  const file = path.join(outDir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: secret ? 0o600 : 0o644 });
}

/** Each node's local MSP (an OrdererMSP member) and TLS key pair (issued by the TLS CA); node `i + 1` listens on `ports[i]`. */
function writeNodeIdentities(outDir: string, ordererOrg: DevOrganization, tlsCa: DevOrganization, ports: readonly NodePorts[]): GeneratedNode[] {
  return ports.map((nodePorts, i) => {
    const id = i + 1;
    const paths = nodePaths(id);
    const member = ordererOrg.issueMember(`orderer${id}.orderer.example.com`, { organizationalUnit: 'orderer' });
    writeLocalMsp(path.join(outDir, paths.mspDir), localMspFiles(ordererOrg, member));
    const names = nodeTlsNames(id);
    const tls = tlsCa.issueMember(names.commonName, { subjectAltNames: names.subjectAltNames, extendedKeyUsage: ['serverAuth', 'clientAuth'] });
    writeFile(outDir, paths.tlsCert, tls.certPem);
    writeFile(outDir, paths.tlsKey, tls.signer.exportPrivateKeyPem(), true);
    return { id, host: LOOPBACK, ports: nodePorts, paths, tlsCertPem: tls.certPem };
  });
}

/**
 * One admin per organization: listed as the organization's admin in block 0,
 * it may sign config updates. Returns each admin's certificate file by MSP id.
 */
function writeAdmins(outDir: string, ordererOrg: DevOrganization, clientOrg: DevOrganization): Record<string, string> {
  const adminCertFiles: Record<string, string> = {};
  for (const [org, dir] of [
    [ordererOrg, ADMIN_MSP_DIRS.orderer],
    [clientOrg, ADMIN_MSP_DIRS.client],
  ] as const) {
    const admin = org.issueMember(`Admin@${org.config.mspId}`, { organizationalUnit: 'admin' });
    writeLocalMsp(path.join(outDir, dir), localMspFiles(org, admin));
    adminCertFiles[org.config.mspId] = path.posix.join(dir, 'signcerts/cert.pem');
  }
  return adminCertFiles;
}

/** Generates everything and writes `<outDir>/cluster.json` last (its presence means the directory is complete). */
export function keygen(options: KeygenOptions): ClusterManifest {
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 1 || options.nodes > CONSENTERS_MAX) {
    throw new CliRunError(`--nodes must be 1..${CONSENTERS_MAX}, got ${options.nodes}`);
  }
  if (options.ports.length !== options.nodes) throw new CliRunError(`keygen needs ports for ${options.nodes} nodes, got ${options.ports.length}`);
  if (fs.existsSync(path.join(options.outDir, MANIFEST_FILE))) {
    throw new CliRunError(`${options.outDir} already holds a cluster (${MANIFEST_FILE}); remove it or pick another --out`);
  }
  fs.mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
  const provider = createCryptoProvider(options.engine);
  const ordererOrg = new DevOrganization({ mspId: ORDERER_MSP_ID, algorithm: options.algorithm, provider, domain: 'orderer.example.com' });
  const clientOrg = new DevOrganization({ mspId: CLIENT_MSP_ID, algorithm: options.algorithm, provider, domain: 'org1.example.com' });
  const tlsCa = new DevOrganization({ mspId: 'TLSCA', algorithm: 'ecdsa-p256', provider, domain: TLS_CA_DOMAIN });
  writeFile(options.outDir, TLS_CA_FILES.cert, tlsCa.root.certPem);
  writeFile(options.outDir, TLS_CA_FILES.key, tlsCa.root.signer.exportPrivateKeyPem(), true);

  const generated = writeNodeIdentities(options.outDir, ordererOrg, tlsCa, options.ports);
  const client = clientOrg.issueMember('User1@org1.example.com', { organizationalUnit: 'client' });
  writeLocalMsp(path.join(options.outDir, 'client/msp'), localMspFiles(clientOrg, client));
  const adminCertFiles = writeAdmins(options.outDir, ordererOrg, clientOrg);

  const channelConfigFile = `channels/${options.channelId}.yaml`;
  writeFile(
    options.outDir,
    channelConfigFile,
    renderChannelConfig({
      channelId: options.channelId,
      algorithm: options.algorithm,
      nodes: generated,
      organizations: [ordererOrg.config, clientOrg.config],
      adminCertFiles,
      // The consenters' TLS certificates come from the TLS CA: config updates check consenters against it.
      tlsRootCertFiles: { [ORDERER_MSP_ID]: TLS_CA_FILES.cert },
      // Where a node behind a snapshot pulls blocks from (Fabric's org Endpoints).
      ordererEndpoints: { [ORDERER_MSP_ID]: generated.map((node) => `${node.host}:${node.ports.client}`) },
      tickIntervalMs: options.tickIntervalMs,
      electionTick: options.electionTick,
      snapshotIntervalSize: options.snapshotIntervalSize,
      batchTimeoutMs: options.batchTimeoutMs,
      maxMessageCount: options.maxMessageCount,
    }),
  );
  for (const node of generated) {
    writeFile(
      options.outDir,
      node.paths.config,
      renderNodeConfig({ node, engine: options.engine, mspId: ORDERER_MSP_ID, channelConfigFile, tlsCaFile: TLS_CA_FILES.cert }),
    );
  }
  // What was written must load: the config layer's validation is the check (throws ConfigError naming the field).
  for (const node of generated) loadNodeConfig(path.join(options.outDir, node.paths.config));
  const manifest: ClusterManifest = {
    version: 1,
    channelId: options.channelId,
    algorithm: options.algorithm,
    channelConfigFile,
    client: { mspId: CLIENT_MSP_ID, mspDir: 'client/msp' },
    tlsCaFile: TLS_CA_FILES.cert,
    nodes: generated.map((node) => ({ id: node.id, host: node.host, ports: node.ports, configFile: node.paths.config, dataDir: node.paths.data })),
  };
  writeManifest(options.outDir, manifest);
  return manifest;
}
