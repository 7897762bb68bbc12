// The operations HTTP listener: /healthz (per-channel leader checks and
// registered checks, each bounded) and /metrics in Prometheus text.

import http from 'node:http';
import https from 'node:https';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { parseNodeStatus } from '../../src/client/index.js';
import { HealthChecks, OperationsServer } from '../../src/server/index.js';
import { FakeChannel, FakeRegistry } from './support/fakeChannels.js';
import { silentLogger } from './support/harness.js';

let server: OperationsServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString(), headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function start(health: HealthChecks, metricsRegistry = new Registry(), healthCheckTimeoutMs = 2000) {
  server = await OperationsServer.start({ listenAddress: '127.0.0.1:0', healthCheckTimeoutMs }, { health, metricsRegistry, logger: silentLogger });
  return server;
}

describe('operations server', () => {
  it('/healthz answers 200 {"status":"OK"} when every check passes', async () => {
    const health = new HealthChecks();
    health.register('storage', () => undefined);
    health.watchChannels(new FakeRegistry([new FakeChannel('a', 1)]));
    const { port } = await start(health);
    const response = await get(port, '/healthz');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.body) as { status: string; time: string };
    expect(body.status).toBe('OK');
    expect(Number.isNaN(Date.parse(body.time))).toBe(false);
  });

  it('/healthz answers 503 naming each failed component and its reason', async () => {
    const health = new HealthChecks();
    health.register('storage', () => undefined);
    health.register('cluster', async () => {
      throw new Error('peer 2 unreachable');
    });
    health.register('stuck', () => new Promise<void>(() => undefined));
    const leaderless = new FakeChannel('b', 1);
    leaderless.leaderId = 0;
    health.watchChannels(new FakeRegistry([new FakeChannel('a', 1), leaderless]));
    const { port } = await start(health, new Registry(), 50);
    const response = await get(port, '/healthz');
    expect(response.status).toBe(503);
    const body = JSON.parse(response.body) as { status: string; failed_checks: { component: string; reason: string }[] };
    expect(body.status).toBe('Service Unavailable');
    expect(body.failed_checks.sort((x, y) => x.component.localeCompare(y.component))).toEqual([
      { component: 'channel/b', reason: 'channel b has no Raft leader' },
      { component: 'cluster', reason: 'peer 2 unreachable' },
      { component: 'stuck', reason: 'health check did not finish within 50 ms' },
    ]);
  });

  it('/healthz recovers once the failing component is healthy again', async () => {
    const health = new HealthChecks();
    const channel = new FakeChannel('a', 1);
    channel.leaderId = 0;
    health.watchChannels(new FakeRegistry([channel]));
    const { port } = await start(health);
    expect((await get(port, '/healthz')).status).toBe(503);
    channel.leaderId = 2;
    expect((await get(port, '/healthz')).status).toBe(200);
  });

  it('/metrics serves the registry in Prometheus text format', async () => {
    const metricsRegistry = new Registry();
    const counter = new Counter({ name: 'consensus_etcdraft_leader_changes', help: 'leader changes', labelNames: ['channel'], registers: [metricsRegistry] });
    counter.inc({ channel: 'mychannel' }, 3);
    const { port } = await start(new HealthChecks(), metricsRegistry);
    const response = await get(port, '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(metricsRegistry.contentType);
    expect(response.body).toContain('# TYPE consensus_etcdraft_leader_changes counter');
    expect(response.body).toContain('consensus_etcdraft_leader_changes{channel="mychannel"} 3');
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const { port } = await start(new HealthChecks());
    expect((await get(port, '/nope')).status).toBe(404);
    const post = await get(port, '/healthz', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('/status answers every channel: leader, leadership, height and term as JSON, sorted by channel', async () => {
    const leaderless = new FakeChannel('b', 3);
    leaderless.leaderId = 0;
    server = await OperationsServer.start(
      { listenAddress: '127.0.0.1:0' },
      { health: new HealthChecks(), metricsRegistry: new Registry(), logger: silentLogger, channels: new FakeRegistry([leaderless, new FakeChannel('a', 2)]) },
    );
    const response = await get(server.port, '/status');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    const parsed = parseNodeStatus(JSON.parse(response.body));
    expect(parsed).toEqual({
      nodeId: 1,
      channels: [
        { channel: 'a', leaderId: 1, isLeader: true, height: 2, term: 1 },
        { channel: 'b', leaderId: 0, isLeader: false, height: 3, term: 1 },
      ],
    });
  });

  it('/status answers 404 when the server was given no channels', async () => {
    const { port } = await start(new HealthChecks());
    expect((await get(port, '/status')).status).toBe(404);
  });

  it('serves HTTPS, and with requireClientCert refuses clients without a certificate from the CA', async () => {
    const provider = createCryptoProvider('native');
    const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider });
    const serverCert = org.issueMember('operations', { subjectAltNames: ['127.0.0.1'], extendedKeyUsage: ['serverAuth'] });
    const clientCert = org.issueMember('prometheus', { extendedKeyUsage: ['clientAuth'] });
    const tls = { certPem: serverCert.certPem, keyPem: serverCert.signer.exportPrivateKeyPem(), clientRootCasPem: [org.root.certPem], requireClientCert: true };
    server = await OperationsServer.start(
      { listenAddress: '127.0.0.1:0', tls },
      { health: new HealthChecks(), metricsRegistry: new Registry(), logger: silentLogger },
    );
    const port = server.port;
    const httpsGet = (withClientCert: boolean) =>
      new Promise<number>((resolve, reject) => {
        const request = https.request(
          {
            host: '127.0.0.1',
            port,
            path: '/healthz',
            ca: org.root.certPem,
            ...(withClientCert && { cert: clientCert.certPem, key: clientCert.signer.exportPrivateKeyPem() }),
            timeout: 10_000,
          },
          (response) => {
            response.resume();
            resolve(response.statusCode!);
          },
        );
        request.on('error', reject);
        request.end();
      });
    expect(await httpsGet(true)).toBe(200);
    await expect(httpsGet(false)).rejects.toThrow();
  });

  it('close() frees the port even with a keep-alive connection open', async () => {
    const { port } = await start(new HealthChecks());
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
    });
    await server!.close();
    server = undefined;
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });
});
