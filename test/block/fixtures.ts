// Shared test fixtures: the real Fabric ledgers of test/fixtures/fabric (see
// its SOURCE.md) and their manifests.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hasher } from '../../src/crypto/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fabricTestdata = path.join(repoRoot, 'test/fixtures/fabric');
export const ledgerSampleDir = path.join(fabricTestdata, 'ledger-sample');
export const ledgerBadDir = path.join(fabricTestdata, 'ledger-bad');
export const genesisBlockPath = path.join(fabricTestdata, 'etcdraft-genesis.block');

export interface ManifestTx {
  readonly txId: string;
  readonly type: number;
  readonly channelId: string;
  readonly creatorMspId: string;
  /** null: the envelope carries no creator/signature to check. */
  readonly signatureValid: boolean | null;
}

export interface ManifestBlock {
  readonly number: number;
  readonly headerHash: string;
  readonly previousHash: string;
  readonly dataHash: string;
  readonly computedDataHash: string;
  readonly txs: readonly ManifestTx[];
}

export function readManifest(dir: string): ManifestBlock[] {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ManifestBlock[];
}

/** The NNN.block files of a ledger directory, in block-number order. */
export function readLedgerBlocks(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => /^\d+\.block$/.test(f))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((f) => new Uint8Array(readFileSync(path.join(dir, f))));
}

/** node:crypto SHA-256 behind the Hasher interface, independent of src/crypto. */
export const nodeSha256: Hasher = {
  algorithm: 'sha256',
  digest(...parts: Uint8Array[]): Uint8Array {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
};

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
