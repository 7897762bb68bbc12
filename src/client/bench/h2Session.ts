// The HTTP/2 connection the harness's Broadcast lanes write to, one per
// endpoint, shared by its lanes: node:http2 directly rather than grpc-js,
// whose per-message path (interceptors, filters, a callback and a frame per
// message) cost ~20 µs of CPU per envelope, ten times the harness's own work.
// gRPC over HTTP/2 is simple enough for one method: a POST to the method's
// path, each message a 5-byte prefix (flag, big-endian length) and its bytes.
// Reconnects on demand after the session closes (a node restarted).

import http2 from 'node:http2';

export interface H2SessionSource {
  readonly label: string;
  /** The live session, opening a new one if there is none (or it closed). */
  session(): http2.ClientHttp2Session;
  close(): void;
}

/** `address` is host:port; TLS with `tlsCaPem` (the name checked is `serverNameOverride` if given), plaintext without. */
export function h2SessionSource(address: string, tlsCaPem: string | undefined, serverNameOverride: string | undefined): H2SessionSource {
  let current: http2.ClientHttp2Session | undefined;
  let closed = false;
  return {
    label: address,
    session() {
      if (current !== undefined && !current.closed && !current.destroyed) return current;
      if (closed) throw new Error(`connection to ${address} is closed`);
      const session =
        tlsCaPem === undefined
          ? http2.connect(`http://${address}`)
          : http2.connect(`https://${address}`, { ca: tlsCaPem, ...(serverNameOverride !== undefined && { servername: serverNameOverride }) });
      // A session error closes its streams; the lanes see that and reopen. Unhandled, it would end the process.
      session.on('error', () => undefined);
      session.unref();
      current = session;
      return session;
    },
    close() {
      closed = true;
      current?.close();
      current = undefined;
    },
  };
}
