// The client-facing gRPC listener: `orderer.AtomicBroadcast` over a
// ChannelRegistry, optionally with (mutual) TLS. gRPC over node:http2 directly
// (serverCall.ts): the two methods are bidirectional streams of protobuf
// bytes, and the generic server's per-message machinery cost as much CPU as
// everything else the server does per envelope. The wire is gRPC's: Fabric's
// clients (Go, and the grpc-js ones in the tests) talk to it unchanged.

import http2 from 'node:http2';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ChannelRegistry } from '../chain/index.js';
import { serveBroadcast } from './broadcast.js';
import { serveDeliver } from './deliver.js';
import { ListenError } from './errors.js';
import { GRPC_UNIMPLEMENTED } from '../block/index.js';
import { ServerMetrics } from './metrics.js';
import { fillServerOptions, splitHostPort, type AtomicBroadcastServerOptions, type AtomicBroadcastServerOptionsInput } from './options.js';
import { GrpcServerCall, refuseCall, type CallLimits } from './serverCall.js';
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

type Http2Server = http2.Http2Server | http2.Http2SecureServer;

interface OpenCalls {
  readonly sessions: Set<http2.ServerHttp2Session>;
  readonly streams: Set<http2.ServerHttp2Stream>;
}

export class AtomicBroadcastServer {
  readonly options: AtomicBroadcastServerOptions;
  /** The bound port (the chosen one when listenAddress asked for port 0). */
  readonly port: number;
  readonly #server: Http2Server;
  /** Open connections and their calls, to close them on close(). */
  readonly #open: OpenCalls;
  readonly #logger: Logger;
  #lifecycle = Lifecycle.Serving;

  private constructor(options: AtomicBroadcastServerOptions, server: Http2Server, open: OpenCalls, port: number, logger: Logger) {
    this.options = options;
    this.#server = server;
    this.#open = open;
    this.port = port;
    this.#logger = logger;
  }

  /** Validates `input`, binds and serves. Throws InvalidServerOptionsError or ListenError. */
  static async start(input: AtomicBroadcastServerOptionsInput, deps: AtomicBroadcastServerDeps): Promise<AtomicBroadcastServer> {
    const options = fillServerOptions(input);
    const logger = deps.logger.child({ component: 'server' });
    const metrics = new ServerMetrics(deps.metricsRegistry);
    const ack = { ack: options.broadcastAck, ackTimeoutMs: options.broadcastAckTimeoutMs };
    const broadcastContext = { channels: deps.channels, metrics, logger, outstandingMax: options.broadcastOutstandingMax, ack };
    const headerRules = { timeWindowMs: options.deliverTimeWindowMs, tlsBindingRequired: options.tls?.requireClientCert ?? false };
    const deliverContext = { channels: deps.channels, metrics, logger, headerRules };
    const limits: CallLimits = { maxReceiveMessageBytes: options.maxReceiveMessageBytes, maxSendMessageBytes: options.maxSendMessageBytes };
    let server: Http2Server;
    try {
      server = createServer(options);
    } catch (error) {
      throw new ListenError(options.listenAddress, `bad TLS material: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const sessions = new Set<http2.ServerHttp2Session>();
    const streams = new Set<http2.ServerHttp2Stream>();
    server.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
      // A connection-level failure (reset, bad frames) ends that connection's calls only.
      session.on('error', (error) => logger.debug({ err: error }, 'client connection failed'));
    });
    server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      streams.add(stream);
      stream.on('close', () => streams.delete(stream));
      const path = headers[':path'];
      if (path === ATOMIC_BROADCAST_SERVICE.Broadcast.path) serveBroadcast(new GrpcServerCall(stream, headers, limits), broadcastContext);
      else if (path === ATOMIC_BROADCAST_SERVICE.Deliver.path) serveDeliver(new GrpcServerCall(stream, headers, limits), deliverContext);
      else refuseCall(stream, GRPC_UNIMPLEMENTED, `The server does not implement the method ${String(path)}`);
    });
    const port = await listen(server, options);
    const address = `${splitHostPort('options.listenAddress', options.listenAddress).host}:${port}`;
    logger.info({ address, tls: options.tls !== undefined, mutualTls: options.tls?.requireClientCert ?? false }, 'AtomicBroadcast server listening');
    return new AtomicBroadcastServer(options, server, { sessions, streams }, port, logger);
  }

  /**
   * Stops accepting streams, lets open ones finish for shutdownGraceMs, then
   * cancels the rest (Deliver streams waiting for blocks end there).
   */
  async close(): Promise<void> {
    if (this.#lifecycle !== Lifecycle.Serving) return;
    this.#lifecycle = Lifecycle.Closing;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // GOAWAY: no new streams; a session closes once its open streams are done.
    for (const session of this.#open.sessions) session.close();
    const timer = setTimeout(() => {
      this.#logger.info({ graceMs: this.options.shutdownGraceMs }, 'cancelling client streams still open after the grace period');
      // RST_STREAM CANCEL: the client's call ends CANCELLED; the sessions then close by themselves.
      for (const stream of this.#open.streams) stream.close(http2.constants.NGHTTP2_CANCEL);
      // Connections that still do not close (a client that never acknowledges) are cut a moment later.
      setTimeout(() => {
        for (const session of this.#open.sessions) session.destroy();
      }, 200).unref();
    }, this.options.shutdownGraceMs);
    await closed;
    clearTimeout(timer);
    this.#lifecycle = Lifecycle.Closed;
    this.#logger.info('AtomicBroadcast server closed');
  }
}

function createServer(options: AtomicBroadcastServerOptions): Http2Server {
  const common = {
    settings: { maxConcurrentStreams: options.maxConcurrentStreams },
    // As grpc-js: a connection's buffered frames are bounded by flow control, not by a memory cap that resets it.
    maxSessionMemory: Number.MAX_SAFE_INTEGER,
  };
  const tls = options.tls;
  if (tls === undefined) return http2.createServer(common);
  return http2.createSecureServer({
    ...common,
    cert: tls.certPem,
    key: tls.keyPem,
    ...(tls.clientRootCasPem.length > 0 && { ca: [...tls.clientRootCasPem] }),
    requestCert: tls.requireClientCert,
    rejectUnauthorized: tls.requireClientCert,
  });
}

function listen(server: Http2Server, options: AtomicBroadcastServerOptions): Promise<number> {
  const { host, port } = splitHostPort('options.listenAddress', options.listenAddress);
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new ListenError(options.listenAddress, error.message, { cause: error }));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : Number(port));
    });
  });
}
