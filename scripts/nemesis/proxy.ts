// A TCP proxy in front of each node's cluster port: the channel config names
// the proxies as the consenters' addresses, so every orderer-to-orderer
// connection passes through one. A connection into node `to`'s proxy is
// attributed to the dialing node by its source port (the socket's owner pid,
// read from /proc), so links can be cut or slowed per pair of nodes, in both
// directions. TLS stays end to end: the proxy only moves bytes.

import fs from 'node:fs';
import net from 'node:net';

export type LinkState = { readonly kind: 'up' } | { readonly kind: 'cut' } | { readonly kind: 'slow'; readonly delayMs: number };

const UP: LinkState = { kind: 'up' };

interface Connection {
  readonly from: number | undefined;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/** Node id → pid of its process now (changes on restart). */
export type PidsOf = () => ReadonlyMap<number, number>;

export class ClusterProxies {
  readonly #servers = new Map<number, net.Server>();
  readonly #links = new Map<string, LinkState>();
  readonly #connections = new Set<Connection & { readonly to: number }>();

  private constructor(private readonly pids: PidsOf) {}

  /** One listener per node on `proxyPorts[id]`, forwarding to 127.0.0.1:`targetPorts[id]`. */
  static async start(targetPorts: ReadonlyMap<number, number>, proxyPorts: ReadonlyMap<number, number>, pids: PidsOf): Promise<ClusterProxies> {
    const proxies = new ClusterProxies(pids);
    for (const [id, port] of proxyPorts) {
      const server = net.createServer((socket) => proxies.#accept(id, targetPorts.get(id)!, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      proxies.#servers.set(id, server);
    }
    return proxies;
  }

  /** Sets the link between a and b (both directions); 'cut' also ends its open connections. */
  setLink(a: number, b: number, state: LinkState): void {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      this.#links.set(`${from}>${to}`, state);
      if (state.kind === 'cut') for (const c of this.#connections) if (c.from === from && c.to === to) this.#drop(c);
    }
  }

  /** Every link up again. */
  healAll(): void {
    this.#links.clear();
  }

  async close(): Promise<void> {
    for (const c of this.#connections) this.#drop(c);
    await Promise.all([...this.#servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #state(from: number | undefined, to: number): LinkState {
    if (from === undefined) return UP;
    return this.#links.get(`${from}>${to}`) ?? UP;
  }

  #accept(to: number, targetPort: number, client: net.Socket): void {
    const from = ownerNode(client.remotePort ?? 0, this.pids());
    if (this.#state(from, to).kind === 'cut') {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const connection = { from, to, client, upstream };
    this.#connections.add(connection);
    const end = (): void => this.#drop(connection);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    this.#pipe(client, upstream, () => this.#state(from, to));
    this.#pipe(upstream, client, () => this.#state(from, to));
  }

  /** Copies src to dst, each chunk held for the link's delay at the time it arrived (order kept). */
  #pipe(src: net.Socket, dst: net.Socket, state: () => LinkState): void {
    let releaseAt = 0;
    src.on('data', (chunk: Buffer) => {
      const link = state();
      if (link.kind === 'cut') {
        src.destroy();
        return;
      }
      const delay = link.kind === 'slow' ? link.delayMs : 0;
      const now = performance.now();
      releaseAt = Math.max(releaseAt, now + delay);
      if (releaseAt <= now) {
        if (!dst.write(chunk)) src.pause();
        return;
      }
      src.pause(); // bounds what a slow link holds in memory: one chunk per direction at a time
      setTimeout(() => {
        if (!dst.destroyed) dst.write(chunk);
        if (!src.destroyed) src.resume();
      }, releaseAt - now);
    });
    dst.on('drain', () => src.resume());
  }

  #drop(c: Connection & { readonly to: number }): void {
    this.#connections.delete(c);
    c.client.destroy();
    c.upstream.destroy();
  }
}

/** The node whose process owns the loopback TCP socket bound to `port`; undefined if none of them does. */
function ownerNode(port: number, pids: ReadonlyMap<number, number>): number | undefined {
  const inode = socketInode(port);
  if (inode === undefined) return undefined;
  const link = `socket:[${inode}]`;
  for (const [id, pid] of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // the process exited meanwhile
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return id;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

function socketInode(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[1]!.endsWith(`:${hexPort}`)) return fields[9];
    }
  }
  return undefined;
}
