// Where `orderer keygen` puts things, and the manifest (cluster.json) that
// `orderer cluster`, `npm start`, the load generator and the e2e tests read to
// find a local cluster's nodes, addresses and identities.

import fs from 'node:fs';
import path from 'node:path';
import type { SignatureAlgorithm } from '../../crypto/index.js';
import { CliRunError } from '../errors.js';

export const MANIFEST_FILE = 'cluster.json';
/**
 * Name clients check a local node's TLS certificate against (keygen puts it in
 * every node's SANs): TLS server names cannot be IP addresses (RFC 6066).
 */
export const LOCAL_TLS_SERVER_NAME = 'localhost';
const MANIFEST_BYTES_MAX = 1024 * 1024;

export interface NodePorts {
  /** AtomicBroadcast (Broadcast/Deliver) gRPC listener. */
  readonly client: number;
  /** orderer.Cluster Step listener (mutual TLS). */
  readonly cluster: number;
  /** Operations HTTP (/healthz, /metrics). */
  readonly operations: number;
}

export interface ManifestNode {
  /** Consenter id, 1-based. */
  readonly id: number;
  readonly host: string;
  readonly ports: NodePorts;
  /** Node config file, relative to the manifest's directory. */
  readonly configFile: string;
  /** Storage directory, relative to the manifest's directory. */
  readonly dataDir: string;
}

export interface ClusterManifest {
  readonly version: 1;
  readonly channelId: string;
  readonly algorithm: SignatureAlgorithm;
  /** Channel config file, relative to the manifest's directory. */
  readonly channelConfigFile: string;
  /** The client identity's MSP id and local MSP dir (relative). */
  readonly client: { readonly mspId: string; readonly mspDir: string };
  /** PEM file of the CA that issues every TLS certificate (relative). */
  readonly tlsCaFile: string;
  readonly nodes: readonly ManifestNode[];
}

/** Paths of node `id` inside a keygen output directory (relative to it). */
export function nodePaths(id: number): { dir: string; mspDir: string; tlsCert: string; tlsKey: string; config: string; data: string } {
  const dir = `nodes/node${id}`;
  return {
    dir,
    mspDir: `${dir}/msp`,
    tlsCert: `${dir}/tls/server.crt`,
    tlsKey: `${dir}/tls/server.key`,
    config: `${dir}/orderer.yaml`,
    data: `${dir}/data`,
  };
}

export function writeManifest(dir: string, manifest: ClusterManifest): void {
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function hasManifest(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

/** Reads `<dir>/cluster.json`; CliRunError naming the file if it is missing or not a manifest. */
export function readManifest(dir: string): ClusterManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let parsed: unknown;
  try {
    const size = fs.statSync(file).size;
    if (size > MANIFEST_BYTES_MAX) throw new CliRunError(`${file} is ${size} bytes, more than ${MANIFEST_BYTES_MAX}`);
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof CliRunError) throw error;
    throw new CliRunError(`cannot read cluster manifest ${file} (run orderer keygen first): ${(error as Error).message}`, { cause: error });
  }
  const manifest = parsed as Partial<ClusterManifest>;
  if (manifest.version !== 1 || !Array.isArray(manifest.nodes) || manifest.nodes.length === 0 || typeof manifest.channelId !== 'string') {
    throw new CliRunError(`${file} is not a version 1 cluster manifest with nodes and a channelId`);
  }
  return manifest as ClusterManifest;
}

/** The CA and server name a client of a local cluster connects with. */
export function clientTls(dir: string, manifest: ClusterManifest): { tlsCaPem: string; serverNameOverride: string } {
  return { tlsCaPem: fs.readFileSync(path.join(dir, manifest.tlsCaFile), 'utf8'), serverNameOverride: LOCAL_TLS_SERVER_NAME };
}

/** host:port of a node's listener. */
export function address(node: ManifestNode, listener: keyof NodePorts): string {
  return `${node.host}:${node.ports[listener]}`;
}

/** The client identity keygen wrote for a local cluster (`<dir>/client/msp`). */
export function clientMsp(dir: string, manifest: ClusterManifest): { mspDir: string; mspId: string } {
  return { mspDir: path.join(dir, manifest.client.mspDir), mspId: manifest.client.mspId };
}
