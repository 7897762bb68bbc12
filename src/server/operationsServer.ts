// The operations HTTP(S) listener (as Fabric's operations.System):
// GET /healthz → 200 {"status":"OK","time":...} or 503 with the failed checks;
// GET /metrics → Prometheus text from the prom-client Registry;
// GET /status → each channel's leader, term and height as JSON (nodeStatus.ts),
// when the node gives its channels;
// /participation/v1/channels... → channel participation (participation.ts)
// when the node offers it.
// Requests are bounded: only a join reads a body (bounded in bytes),
// whole-request and header timeouts, a connection cap, and each health check
// has its own time bound.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ListenError } from './errors.js';
import type { ChannelRegistry } from '../chain/index.js';
import type { HealthChecks } from './health.js';
import { nodeStatus, STATUS_PATH } from './nodeStatus.js';
import { handleParticipation, isParticipationPath, type ChannelParticipation } from './participation.js';
import { fillOperationsOptions, splitHostPort, type OperationsServerOptions, type OperationsServerOptionsInput } from './options.js';

export interface OperationsServerDeps {
  readonly metricsRegistry: Registry;
  readonly health: HealthChecks;
  readonly logger: Logger;
  /** Channel participation API; absent: its paths answer 404. */
  readonly participation?: ChannelParticipation;
  /** The channels /status reports; absent: /status answers 404. */
  readonly channels?: ChannelRegistry;
}

export class OperationsServer {
  readonly options: OperationsServerOptions;
  readonly port: number;
  readonly #server: http.Server;
  readonly #logger: Logger;

  private constructor(options: OperationsServerOptions, server: http.Server, logger: Logger) {
    this.options = options;
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.#logger = logger;
  }

  /** Validates `input`, binds and serves. Throws InvalidServerOptionsError or ListenError. */
  static async start(input: OperationsServerOptionsInput, deps: OperationsServerDeps): Promise<OperationsServer> {
    const options = fillOperationsOptions(input);
    const logger = deps.logger.child({ component: 'operations' });
    const onRequest = (request: http.IncomingMessage, response: http.ServerResponse) => {
      handle(request, response, options, deps).catch((error: unknown) => {
        logger.error({ err: error, url: request.url }, 'operations request failed');
        if (!response.headersSent) respondJson(response, 500, { status: 'Internal Server Error' });
        else response.destroy();
      });
    };
    const tls = options.tls;
    const server: http.Server =
      tls === undefined
        ? http.createServer(onRequest)
        : https.createServer(
            {
              cert: tls.certPem,
              key: tls.keyPem,
              ...(tls.clientRootCasPem.length > 0 && { ca: [...tls.clientRootCasPem] }),
              requestCert: tls.requireClientCert,
              rejectUnauthorized: tls.requireClientCert,
            },
            onRequest,
          );
    server.requestTimeout = options.requestTimeoutMs;
    server.headersTimeout = Math.min(options.requestTimeoutMs, 60_000);
    server.maxHeadersCount = 100;
    server.maxConnections = options.connectionsMax;
    const { host, port } = splitHostPort('options.listenAddress', options.listenAddress);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new ListenError(options.listenAddress, error.message, { cause: error })));
      server.listen(port, host, () => resolve());
    });
    const started = new OperationsServer(options, server, logger);
    logger.info({ address: `${host}:${started.port}`, tls: tls !== undefined, mutualTls: tls?.requireClientCert ?? false }, 'operations server listening');
    return started;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    this.#logger.info('operations server closed');
  }
}

async function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  options: OperationsServerOptions,
  deps: OperationsServerDeps,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  if (deps.participation !== undefined && isParticipationPath(path)) {
    await handleParticipation(request, response, deps.participation);
    return;
  }
  // No other path needs a body: drop whatever a client sends.
  request.resume();
  const status = path === STATUS_PATH && deps.channels !== undefined;
  if (path !== '/healthz' && path !== '/metrics' && !status) {
    respondJson(response, 404, { status: 'Not Found' });
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    respondJson(response, 405, { status: 'Method Not Allowed' });
    return;
  }
  if (status) {
    respondJson(response, 200, nodeStatus(deps.channels!));
    return;
  }
  if (path === '/metrics') {
    const text = await deps.metricsRegistry.metrics();
    response.writeHead(200, { 'Content-Type': deps.metricsRegistry.contentType });
    response.end(text);
    return;
  }
  const failedChecks = await deps.health.run(options.healthCheckTimeoutMs);
  const time = new Date().toISOString();
  if (failedChecks.length === 0) {
    respondJson(response, 200, { status: 'OK', time });
  } else {
    deps.logger.warn({ failedChecks }, 'health check failed');
    respondJson(response, 503, { status: 'Service Unavailable', time, failed_checks: failedChecks });
  }
}

function respondJson(response: http.ServerResponse, statusCode: number, body: object): void {
  response.writeHead(statusCode, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}
