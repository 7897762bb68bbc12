// The client-facing gRPC listener: `orderer.AtomicBroadcast` over a
// ChannelRegistry, optionally with (mutual) TLS.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ChannelRegistry } from '../chain/index.js';
import { serveBroadcast } from './broadcast.js';
import { serveDeliver } from './deliver.js';
import { ListenError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { fillServerOptions, splitHostPort, type AtomicBroadcastServerOptions, type AtomicBroadcastServerOptionsInput } from './options.js';
import { ATOMIC_BROADCAST_SERVICE } from '../block/index.js';

export interface AtomicBroadcastServerDeps {
  readonly channels: ChannelRegistry;
  readonly logger: Logger;
  readonly metricsRegistry: Registry;
}

enum Lifecycle {
  Serving,
  Closing,
  Closed,
}

export class AtomicBroadcastServer {
  readonly options: AtomicBroadcastServerOptions;
  /** The bound port (the chosen one when listenAddress asked for port 0). */
  readonly port: number;
  readonly #server: grpc.Server;
  readonly #logger: Logger;
  #lifecycle = Lifecycle.Serving;

  private constructor(options: AtomicBroadcastServerOptions, server: grpc.Server, port: number, logger: Logger) {
    this.options = options;
    this.#server = server;
    this.port = port;
    this.#logger = logger;
  }

  /** Validates `input`, binds and serves. Throws InvalidServerOptionsError or ListenError. */
  static async start(input: AtomicBroadcastServerOptionsInput, deps: AtomicBroadcastServerDeps): Promise<AtomicBroadcastServer> {
    const options = fillServerOptions(input);
    const logger = deps.logger.child({ component: 'server' });
    const metrics = new ServerMetrics(deps.metricsRegistry);
    const server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
      'grpc.max_send_message_length': options.maxSendMessageBytes,
      'grpc.max_concurrent_streams': options.maxConcurrentStreams,
    });
    const ack = { ack: options.broadcastAck, ackTimeoutMs: options.broadcastAckTimeoutMs };
    const broadcastContext = { channels: deps.channels, metrics, logger, outstandingMax: options.broadcastOutstandingMax, ack };
    const headerRules = { timeWindowMs: options.deliverTimeWindowMs, tlsBindingRequired: options.tls?.requireClientCert ?? false };
    const deliverContext = { channels: deps.channels, metrics, logger, headerRules };
    server.addService(ATOMIC_BROADCAST_SERVICE, {
      Broadcast: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => serveBroadcast(call, broadcastContext),
      Deliver: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => serveDeliver(call, deliverContext),
    });
    const port = await bind(server, options);
    const address = `${splitHostPort('options.listenAddress', options.listenAddress).host}:${port}`;
    logger.info({ address, tls: options.tls !== undefined, mutualTls: options.tls?.requireClientCert ?? false }, 'AtomicBroadcast server listening');
    return new AtomicBroadcastServer(options, server, port, logger);
  }

  /**
   * Stops accepting streams, lets open ones finish for shutdownGraceMs, then
   * cancels the rest (Deliver streams waiting for blocks end there).
   */
  async close(): Promise<void> {
    if (this.#lifecycle !== Lifecycle.Serving) return;
    this.#lifecycle = Lifecycle.Closing;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#logger.info({ graceMs: this.options.shutdownGraceMs }, 'cancelling client streams still open after the grace period');
        this.#server.forceShutdown();
        resolve();
      }, this.options.shutdownGraceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#lifecycle = Lifecycle.Closed;
    this.#logger.info('AtomicBroadcast server closed');
  }
}

function credentials(options: AtomicBroadcastServerOptions): grpc.ServerCredentials {
  const tls = options.tls;
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const rootCerts = tls.clientRootCasPem.length === 0 ? null : Buffer.from(tls.clientRootCasPem.join('\n'));
  return grpc.ServerCredentials.createSsl(rootCerts, [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }], tls.requireClientCert);
}

function bind(server: grpc.Server, options: AtomicBroadcastServerOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    let creds: grpc.ServerCredentials;
    try {
      creds = credentials(options);
    } catch (error) {
      reject(new ListenError(options.listenAddress, `bad TLS material: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      return;
    }
    server.bindAsync(options.listenAddress, creds, (error, port) => {
      if (error) reject(new ListenError(options.listenAddress, error.message, { cause: error }));
      else resolve(port);
    });
  });
}
