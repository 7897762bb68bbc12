// HTTP/2 flow-control windows of the cluster's inbound server (grpc-js).
//
// Why: by HTTP/2's defaults a receiver lets a sender have 64 KiB in flight per
// stream and per connection. A leader's MsgApp carries a block (~500 KB at
// Fabric's batch defaults), so each block to each follower took about eight
// window round trips: the sender wrote 64 KiB, waited for the follower to read
// it and send a WINDOW_UPDATE, and woke up to write the next 64 KiB, each
// wake-up and each small write CPU on both nodes. Measured with
// `npm run bench:transport` (MsgApp of one 256 KiB block, both ends, 2-core
// machine): 3,515 µs of CPU per message with the defaults, 3,905 with a
// larger stream window alone (the connection's window still binds), 2,257
// with both raised as here.
//
// The windows bound what a peer may send before this node reads it: at most
// the connection window per peer connection (grpc-js still reads one message
// at a time and the transport's frame bound still applies). grpc-js takes no
// window option for its server: the stream window goes in as the HTTP/2
// server's `settings` through the server credentials' constructor options
// (grpc-js merges them into the options of the server it creates), and the
// connection window, which only a WINDOW_UPDATE of an open session raises, is
// set on each session of the servers created with those options.

import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';

/** Per inbound stream: a block of 500 envelopes of 1 KiB (Fabric's default MaxMessageCount), and then some. */
export const INBOUND_STREAM_WINDOW_BYTES = 1024 * 1024;
/** Per inbound connection (one per peer): two such blocks in flight. */
export const INBOUND_CONNECTION_WINDOW_BYTES = 2 * 1024 * 1024;

/** Marks the options of an HTTP/2 server whose sessions get a connection window: its size in bytes. */
const CONNECTION_WINDOW = Symbol('cluster inbound connection window bytes');

type MarkedOptions = http2.SecureServerOptions & { [CONNECTION_WINDOW]?: number };

/** `credentials` (from grpc.ServerCredentials.createSsl) for a server whose streams and connections have the windows above. */
export function windowedServerCredentials(credentials: grpc.ServerCredentials): grpc.ServerCredentials {
  installConnectionWindowHook();
  return new WindowedServerCredentials(credentials);
}

class WindowedServerCredentials extends grpc.ServerCredentials {
  constructor(inner: grpc.ServerCredentials) {
    const options = inner._getConstructorOptions();
    if (options === null) throw new TypeError('cluster server credentials must be TLS credentials');
    const marked: MarkedOptions = {
      ...options,
      settings: { ...options.settings, initialWindowSize: INBOUND_STREAM_WINDOW_BYTES },
      [CONNECTION_WINDOW]: INBOUND_CONNECTION_WINDOW_BYTES,
    };
    super(marked, inner._getSecureContextOptions() ?? undefined);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

let hookInstalled = false;

/**
 * http2.createSecureServer, once wrapped: a server created with marked options
 * sets the connection window of each of its sessions. Any other server is
 * created exactly as before.
 */
function installConnectionWindowHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  const create = http2.createSecureServer;
  const wrapped = (options: MarkedOptions, listener?: (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void) => {
    const server = listener === undefined ? create(options) : create(options, listener);
    const windowBytes = options?.[CONNECTION_WINDOW];
    if (typeof windowBytes === 'number') server.on('session', (session) => session.setLocalWindowSize(windowBytes));
    return server;
  };
  (http2 as { createSecureServer: unknown }).createSecureServer = wrapped;
}
