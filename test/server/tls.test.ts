// TLS on the client listener: server-authenticated TLS, and mutual TLS that
// refuses clients without a certificate from the configured CAs.

import { createHash, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common } from '@hyperledger/fabric-protos';
import { afterEach, describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeSeekInfo, HeaderType } from '../../src/block/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { FakeChannel } from './support/fakeChannels.js';
import { creator, toProtosEnvelope, transaction } from './support/envelopes.js';
import { collect, startHarness, type Harness } from './support/harness.js';

const provider = createCryptoProvider('native');
const serverOrg = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider });
const clientOrg = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
const otherOrg = new DevOrganization({ mspId: 'Org9MSP', algorithm: 'ecdsa-p256', provider });

function tlsIdentity(org: DevOrganization, name: string, usage: 'serverAuth' | 'clientAuth') {
  const member = org.issueMember(name, { subjectAltNames: ['localhost', '127.0.0.1'], extendedKeyUsage: [usage] });
  return { certPem: member.certPem, keyPem: member.signer.exportPrivateKeyPem() };
}

const serverTls = tlsIdentity(serverOrg, 'orderer0.example.com', 'serverAuth');

/** A client that trusts the server's CA, presenting `identity` as its own certificate if given. */
function clientCredentials(identity?: { certPem: string; keyPem: string }): grpc.ChannelCredentials {
  const rootCa = Buffer.from(serverOrg.root.certPem);
  if (identity === undefined) return grpc.credentials.createSsl(rootCa);
  return grpc.credentials.createSsl(rootCa, Buffer.from(identity.keyPem), Buffer.from(identity.certPem));
}
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function broadcastOne(h: Harness) {
  const stream = h.client.broadcast();
  const done = collect(stream);
  stream.write(toProtosEnvelope(transaction('mychannel', 'over tls')));
  stream.end();
  return done;
}

describe('client listener TLS', () => {
  it('serves a client that trusts the server CA', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 1)], { tls: serverTls }, clientCredentials());
    const { messages, error } = await broadcastOne(harness);
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.getStatus())).toEqual([common.Status.SUCCESS]);
  });

  it('refuses a plaintext client', async () => {
    harness = await startHarness([new FakeChannel('mychannel', 1)], { tls: serverTls });
    const { error } = await broadcastOne(harness);
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  describe('mutual TLS', () => {
    const mutual = { tls: { ...serverTls, clientRootCasPem: [clientOrg.root.certPem], requireClientCert: true } };

    it('serves a client with a certificate from a configured CA', async () => {
      const client = tlsIdentity(clientOrg, 'user1', 'clientAuth');
      harness = await startHarness([new FakeChannel('mychannel', 1)], mutual, clientCredentials(client));
      const { messages, error } = await broadcastOne(harness);
      expect(error).toBeUndefined();
      expect(messages.map((m) => m.getStatus())).toEqual([common.Status.SUCCESS]);
    });

    it('binds Deliver requests to the client TLS certificate (Fabric’s tls_cert_hash check, BAD_REQUEST as Fabric)', async () => {
      const client = tlsIdentity(clientOrg, 'user1', 'clientAuth');
      harness = await startHarness([new FakeChannel('mychannel', 2)], mutual, clientCredentials(client));
      const ownHash = createHash('sha256').update(new X509Certificate(client.certPem).raw).digest();
      const otherHash = createHash('sha256').update(new X509Certificate(serverTls.certPem).raw).digest();
      const request = (tlsCertHash?: Uint8Array) =>
        toProtosEnvelope(
          createSignedEnvelope({
            type: HeaderType.DELIVER_SEEK_INFO,
            channelId: 'mychannel',
            data: encodeSeekInfo({ start: { type: 'oldest' }, stop: { type: 'newest' }, behavior: 0, errorResponse: 0, contentType: 0 }),
            creator: creator('Org1MSP'),
            ...(tlsCertHash && { tlsCertHash }),
          }),
        );
      const stream = harness.client.deliver();
      const done = collect(stream);
      stream.write(request(ownHash));
      stream.write(request());
      stream.write(request(otherHash));
      stream.end();
      const { messages, error } = await done;
      expect(error).toBeUndefined();
      const S = common.Status;
      expect(messages.map((m) => (m.hasBlock() ? 'block' : m.getStatus()))).toEqual(['block', 'block', S.SUCCESS, S.BAD_REQUEST, S.BAD_REQUEST]);
    });

    it('refuses a client without a certificate', async () => {
      harness = await startHarness([new FakeChannel('mychannel', 1)], mutual, clientCredentials());
      const { messages, error } = await broadcastOne(harness);
      expect(messages).toHaveLength(0);
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    });

    it('refuses a client whose certificate comes from another CA', async () => {
      const stranger = tlsIdentity(otherOrg, 'mallory', 'clientAuth');
      harness = await startHarness([new FakeChannel('mychannel', 1)], mutual, clientCredentials(stranger));
      const { messages, error } = await broadcastOne(harness);
      expect(messages).toHaveLength(0);
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    });
  });
});
