// `orderer keygen reissue-tls`: a node's new TLS certificate comes from the
// cluster's TLS CA (so config updates accept it and peers' TLS trusts it),
// carries a new key, keeps keygen's names, and the replaced files are kept.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TLS_CA_FILES, keygen } from '../../src/cli/dev/keygen.js';
import { nodePaths } from '../../src/cli/dev/layout.js';
import { reissueNodeTls } from '../../src/cli/dev/tlsReissue.js';
import { loadNodeConfig } from '../../src/config/index.js';
import { orderer } from './channelSupport.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function generated(nodes = 2): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-reissue-'));
  dirs.push(dir);
  keygen({
    outDir: dir,
    nodes,
    algorithm: 'ecdsa-p256',
    channelId: 'reissue-channel',
    ports: Array.from({ length: nodes }, (_, i) => ({ client: 41000 + i, cluster: 41100 + i, operations: 41200 + i })),
    engine: 'native',
  });
  return dir;
}

const read = (dir: string, relative: string): string => fs.readFileSync(path.join(dir, relative), 'utf8');

describe('orderer keygen reissue-tls', () => {
  it('issues a node a new certificate and key from the same TLS CA, with the same names, and keeps the previous ones', () => {
    const dir = generated();
    const paths = nodePaths(2);
    const oldCert = read(dir, paths.tlsCert);
    const oldKey = read(dir, paths.tlsKey);
    const otherNodeCert = read(dir, nodePaths(1).tlsCert);

    const issued = reissueNodeTls(dir, 2);

    const ca = new X509Certificate(read(dir, TLS_CA_FILES.cert));
    const before = new X509Certificate(oldCert);
    const after = new X509Certificate(read(dir, paths.tlsCert));
    expect(after.raw.equals(before.raw)).toBe(false);
    expect(after.publicKey.export({ format: 'der', type: 'spki' }).equals(before.publicKey.export({ format: 'der', type: 'spki' }))).toBe(false);
    expect(after.checkIssued(ca)).toBe(true);
    expect(after.verify(ca.publicKey)).toBe(true);
    expect(after.subject).toBe(before.subject);
    expect(after.subjectAltName).toBe(before.subjectAltName);
    expect(after.keyUsage).toEqual(before.keyUsage);
    expect(after.checkPrivateKey(createPrivateKey(read(dir, paths.tlsKey)))).toBe(true);
    expect(issued.certPem).toBe(read(dir, paths.tlsCert));
    expect(fs.readFileSync(issued.previousCertFile, 'utf8')).toBe(oldCert);
    expect(fs.readFileSync(issued.previousKeyFile, 'utf8')).toBe(oldKey);
    expect(fs.statSync(issued.keyFile).mode & 0o077).toBe(0);
    // Only node 2 changed; its node config still loads (key matches certificate).
    expect(read(dir, nodePaths(1).tlsCert)).toBe(otherNodeCert);
    expect(loadNodeConfig(path.join(dir, paths.config)).id).toBe(2);
  });

  it('runs as a CLI subcommand, and refuses an unknown node and a cluster without the TLS CA key', async () => {
    const dir = generated();
    const before = read(dir, nodePaths(1).tlsCert);
    const ran = await orderer(['keygen', 'reissue-tls', '--dir', dir, '--node', '1']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('node 1: new TLS certificate');
    expect(read(dir, nodePaths(1).tlsCert)).not.toBe(before);

    const unknown = await orderer(['keygen', 'reissue-tls', '--dir', dir, '--node', '7']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--node 7: the cluster .* has nodes 1, 2/);

    const missing = await orderer(['keygen', 'reissue-tls', '--dir', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--node is required');

    fs.rmSync(path.join(dir, TLS_CA_FILES.key));
    const withoutKey = await orderer(['keygen', 'reissue-tls', '--dir', dir, '--node', '2']);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toMatch(/ca\.key is missing.*same CA/);
  }, 60_000);
});
