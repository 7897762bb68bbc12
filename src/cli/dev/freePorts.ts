// Free loopback ports for a local cluster's layout (tests, benchmarks, the
// demo). A port is chosen at random BELOW the kernel's ephemeral range and
// checked by binding it on 127.0.0.1, then released. Below that range, because
// a port handed out by a bind to port 0 comes from the ephemeral range, which
// is also where every outgoing connection takes its local port: a node started
// seconds after its ports were chosen (a consenter added later, a restart)
// could find one taken by a client's or a peer's connection in the meantime.
// Where the range cannot be read (not Linux), the kernel's choice is used.

import fs from 'node:fs';
import net from 'node:net';
import type { NodePorts } from './layout.js';

/** Lowest port tried: above the registered services most machines run. */
const LOWEST_PORT = 10_000;
const ATTEMPTS_PER_PORT = 50;

/** The kernel's ephemeral port range as [low, high], if it can be read. */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): readonly [number, number] | undefined {
  try {
    const [low, high] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? [low!, high!] : undefined;
  } catch {
    return undefined;
  }
}

/** `count` distinct free loopback ports, outside the ephemeral range where it is known and leaves room. */
export async function freePorts(count: number): Promise<number[]> {
  const low = ephemeralPortRange()?.[0];
  const span = low === undefined ? 0 : low - LOWEST_PORT;
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(span >= 1_000 ? await bindBelow(LOWEST_PORT, span) : await bind(0));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Client, cluster and operations ports of `nodes` nodes, all distinct and free now. */
export async function freeNodePorts(nodes: number): Promise<NodePorts[]> {
  const ports = await freePorts(3 * nodes);
  return Array.from({ length: nodes }, (_, i) => ({ client: ports[3 * i]!, cluster: ports[3 * i + 1]!, operations: ports[3 * i + 2]! }));
}

/** A server bound to a random free port in [lowest, lowest + span) (the ports already chosen are still bound: EADDRINUSE). */
async function bindBelow(lowest: number, span: number): Promise<net.Server> {
  for (let attempt = 0; attempt < ATTEMPTS_PER_PORT; attempt++) {
    const port = lowest + Math.floor(Math.random() * span);
    try {
      return await bind(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return bind(0);
}

function bind(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
