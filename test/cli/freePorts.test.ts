// Ports for local clusters come from below the kernel's ephemeral range, where
// no outgoing connection takes its local port between the choice and the bind.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralPortRange, freeNodePorts, freePorts } from '../../src/cli/dev/freePorts.js';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('free ports for a local cluster', () => {
  it('reads the ephemeral range, and nothing from a file that is missing or not two numbers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ports-'));
    try {
      fs.writeFileSync(path.join(dir, 'range'), '32768\t60999\n');
      fs.writeFileSync(path.join(dir, 'bad'), 'low high\n');
      expect(ephemeralPortRange(path.join(dir, 'range'))).toEqual([32768, 60999]);
      expect(ephemeralPortRange(path.join(dir, 'bad'))).toBeUndefined();
      expect(ephemeralPortRange(path.join(dir, 'missing'))).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives distinct ports below the ephemeral range, each free to bind', async () => {
    const ports = await freePorts(24);
    expect(new Set(ports).size).toBe(24);
    const low = ephemeralPortRange()?.[0];
    if (low !== undefined && low > 11_000) for (const port of ports) expect(port).toBeLessThan(low);
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('lays out client, cluster and operations ports per node, all distinct', async () => {
    const nodes = await freeNodePorts(5);
    expect(nodes).toHaveLength(5);
    expect(new Set(nodes.flatMap((n) => [n.client, n.cluster, n.operations])).size).toBe(15);
  });
});
