// The cluster's inbound server lets a peer have a whole block in flight: its
// HTTP/2 stream and connection windows are raised above HTTP/2's 64 KiB
// defaults (src/cluster/inboundWindows.ts), and no other HTTP/2 server of the
// process is touched (the Broadcast server keeps its flow control).

import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { INBOUND_CONNECTION_WINDOW_BYTES, INBOUND_STREAM_WINDOW_BYTES } from '../../src/cluster/inboundWindows.js';
import { GrpcClusterTransport } from '../../src/cluster/transport.js';
import { testLogger, waitFor } from './fixtures.js';

const TLS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls');
const read = (file: string): string => fs.readFileSync(path.join(TLS_DIR, file), 'utf8');
const HTTP2_DEFAULT_WINDOW_BYTES = 65_535;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TLS HTTP/2 session to 127.0.0.1:port with consenter 2's client certificate, once the server's settings arrived. */
async function connect(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: read('rsa-ca.crt'), cert: read('rsa-node2.crt'), key: read('rsa-node2.key') });
  session.on('error', () => undefined);
  cleanups.push(() => void session.destroy());
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** Consenter 1's cluster transport on a free port, closed after the test. */
async function startTransport(): Promise<GrpcClusterTransport> {
  const transport = await GrpcClusterTransport.start({
    selfId: 1,
    listenAddress: '127.0.0.1:0',
    tls: { certPem: read('rsa-node1.crt'), keyPem: read('rsa-node1.key'), caPems: [read('rsa-ca.crt')] },
    peers: [],
    logger: testLogger(),
  });
  cleanups.push(() => transport.close());
  return transport;
}

describe('inbound HTTP/2 windows of the cluster transport', () => {
  test('a peer may send a block-sized message on one stream and two on its connection before the node reads them', async () => {
    const transport = await startTransport();
    const session = await connect(transport.port);
    expect(session.remoteSettings.initialWindowSize).toBe(INBOUND_STREAM_WINDOW_BYTES);
    await waitFor(() => (session.state.remoteWindowSize ?? 0) >= INBOUND_CONNECTION_WINDOW_BYTES, 'the connection window update', 5000);
    expect(session.state.remoteWindowSize).toBe(INBOUND_CONNECTION_WINDOW_BYTES);
  });

  test("another HTTP/2 server of the process keeps HTTP/2's default windows", async () => {
    // A cluster transport first, so its server-creation hook is in place.
    await startTransport();
    const server = http2.createSecureServer({ cert: read('rsa-node1.crt'), key: read('rsa-node1.key'), ca: read('rsa-ca.crt'), requestCert: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const session = await connect((server.address() as AddressInfo).port);
    expect(session.remoteSettings.initialWindowSize).toBe(HTTP2_DEFAULT_WINDOW_BYTES);
    expect(session.state.remoteWindowSize).toBe(HTTP2_DEFAULT_WINDOW_BYTES);
  });
});
