// Free loopback ports for a local cluster's layout (tests, benchmarks): each
// port is bound once to port 0 on 127.0.0.1 and released, so the kernel
// picked it and nothing listens there now.

import net from 'node:net';
import type { NodePorts } from './layout.js';

/** `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Client, cluster and operations ports of `nodes` nodes, all distinct and free now. */
export async function freeNodePorts(nodes: number): Promise<NodePorts[]> {
  const ports = await freePorts(3 * nodes);
  return Array.from({ length: nodes }, (_, i) => ({ client: ports[3 * i]!, cluster: ports[3 * i + 1]!, operations: ports[3 * i + 2]! }));
}
