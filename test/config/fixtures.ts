// PEM material and minimal valid inputs for config tests, written to a temp
// directory so path-or-PEM resolution can be exercised.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';

const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') });
const tls = org.issueMember('orderer1.example.com', { subjectAltNames: ['127.0.0.1'], extendedKeyUsage: ['serverAuth', 'clientAuth'] });

export const CA_PEM = org.root.certPem;
export const CERT_PEM = tls.certPem;
export const KEY_PEM = tls.signer.exportPrivateKeyPem();

/** A temp dir with tls/{ca,server}.crt, tls/server.key and an (empty) msp/ dir; removed by cleanup(). */
export function makeConfigDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'config-test-'));
  mkdirSync(path.join(dir, 'tls'));
  mkdirSync(path.join(dir, 'msp'));
  writeFileSync(path.join(dir, 'tls', 'ca.crt'), CA_PEM);
  writeFileSync(path.join(dir, 'tls', 'server.crt'), CERT_PEM);
  writeFileSync(path.join(dir, 'tls', 'server.key'), KEY_PEM);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The smallest valid channel input: one consenter (id 1), one organization; certificates inline. */
export function minimalChannel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channelId: 'mychannel',
    consenters: [{ id: 1, host: '127.0.0.1', port: 7051, clientTlsCert: CERT_PEM, serverTlsCert: CERT_PEM }],
    organizations: [{ mspId: 'Org1MSP', rootCerts: [CA_PEM] }],
    ...overrides,
  };
}

/** The smallest valid node input (certificates inline). */
export function minimalNode(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 1,
    tls: { cert: CERT_PEM, key: KEY_PEM, rootCAs: [CA_PEM] },
    msp: { mspId: 'OrdererMSP' },
    ...overrides,
  };
}
