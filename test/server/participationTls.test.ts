// The participation API behind the operations listener's mutual TLS, driven by
// the `orderer channel` command's client (its --ca-file/--client-cert/--client-key
// files): a client with a certificate from the CA joins and lists; one without
// is refused by the TLS handshake and never reaches the node.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { callParticipation, expectStatus, participationTarget, PARTICIPATION_PATH } from '../../src/client/participationClient.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { HealthChecks, OperationsServer, type ChannelInfo, type ChannelParticipation } from '../../src/server/index.js';
import { silentLogger } from './support/harness.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'participation-tls-'));
let server: OperationsServer | undefined;

afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('participation API over mutual TLS', () => {
  it('serves a client certified by the CA and refuses one without a certificate', async () => {
    const provider = createCryptoProvider('native');
    const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider });
    const serverCert = org.issueMember('operations', { subjectAltNames: ['127.0.0.1'], extendedKeyUsage: ['serverAuth'] });
    const adminCert = org.issueMember('admin', { extendedKeyUsage: ['clientAuth'] });
    const joined: string[] = [];
    const node: ChannelParticipation = {
      list: () => joined.map((name): ChannelInfo => ({ name, status: 'active', consensusRelation: 'consenter', height: 1 })),
      info: () => undefined,
      join: async (block) => {
        joined.push(Buffer.from(block).toString());
        return { name: joined.at(-1)!, status: 'active', consensusRelation: 'consenter', height: 1 };
      },
      remove: async () => undefined,
    };
    const tls = { certPem: serverCert.certPem, keyPem: serverCert.signer.exportPrivateKeyPem(), clientRootCasPem: [org.root.certPem], requireClientCert: true };
    server = await OperationsServer.start(
      { listenAddress: '127.0.0.1:0', tls },
      { health: new HealthChecks(), metricsRegistry: new Registry(), logger: silentLogger, participation: node },
    );
    const url = `https://127.0.0.1:${server.port}`;
    const ca = write('ca.pem', org.root.certPem);
    const admin = participationTarget(url, {
      ca,
      cert: write('admin.pem', adminCert.certPem),
      key: write('admin.key', adminCert.signer.exportPrivateKeyPem()),
    });
    const answer = await callParticipation(admin, 'POST', PARTICIPATION_PATH, Buffer.from('tlschannel'));
    expect(expectStatus(answer, 201, 'join')).toMatchObject({ name: 'tlschannel' });
    const list = expectStatus(await callParticipation(admin, 'GET', PARTICIPATION_PATH), 200, 'list') as { channels: { name: string }[] };
    expect(list.channels.map((c) => c.name)).toEqual(['tlschannel']);

    const anonymous = participationTarget(url, { ca });
    await expect(callParticipation(anonymous, 'POST', PARTICIPATION_PATH, Buffer.from('sneaky'))).rejects.toThrow(/failed/);
    expect(joined).toEqual(['tlschannel']);
  });
});
