// The HTTP/2 flow-control window a DeliverBlockSource offers the orderer it
// pulls from: DELIVER_SOURCE_WINDOW_BYTES per stream and for the connection,
// so that orderer may send that many bytes of blocks ahead of this node's
// reads instead of 64 KiB (a few small blocks).

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSerializedIdentity } from '../../src/block/index.js';
import { DELIVER_SOURCE_WINDOW_BYTES, DeliverBlockSource } from '../../src/catchup/deliverSource.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe('DeliverBlockSource flow-control window', () => {
  it(`offers ${DELIVER_SOURCE_WINDOW_BYTES} bytes per stream and for the connection, not HTTP/2's 64 KiB`, async () => {
    const server = http2.createServer();
    const seen = new Promise<{ streamWindow: number; connectionWindow: number }>((resolve) => {
      server.on('stream', (stream) => {
        const session = stream.session!;
        // The connection window is raised by a WINDOW_UPDATE right after the settings: read it once the request arrived.
        resolve({ streamWindow: session.remoteSettings.initialWindowSize ?? 0, connectionWindow: session.state.remoteWindowSize ?? 0 });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14', 'grpc-message': 'test server' }));
        stream.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => server.close());
    const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') });
    const member = org.issueMember('orderer1');
    const creator = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
    const source = new DeliverBlockSource({ name: 'test', address: `127.0.0.1:${(server.address() as AddressInfo).port}`, creator });
    cleanups.push(() => source.close());
    const newest = source.newest('mychannel', new AbortController().signal).catch((err: unknown) => err);
    const { streamWindow, connectionWindow } = await seen;
    expect(streamWindow).toBe(DELIVER_SOURCE_WINDOW_BYTES);
    expect(connectionWindow).toBeGreaterThanOrEqual(DELIVER_SOURCE_WINDOW_BYTES);
    expect(await newest).toBeInstanceOf(Error);
  });
});
