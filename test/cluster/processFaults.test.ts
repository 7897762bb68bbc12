// Faults only another process can show: a peer killed with SIGKILL (the
// kernel resets its connections) and a peer frozen with SIGSTOP (nothing is
// reset: only HTTP/2 keepalive can tell). In both the waiting forward must
// fail SERVICE_UNAVAILABLE and onUnreachable fire; after SIGCONT the frozen
// peer is reachable again.

import { afterEach, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClusterUnavailableError } from '../../src/cluster/errors.js';
import { RecordingHandler, TestPki, consenters, heartbeat, startTransport, waitFor, type TestNode } from './fixtures.js';

const pki = new TestPki();
const script = fileURLToPath(new URL('./peerProcess.ts', import.meta.url));
let children: ChildProcess[] = [];
let nodes: TestNode[] = [];
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  children = [];
  await Promise.all(nodes.map((n) => n.transport.close()));
  nodes = [];
});

/** Node 1 here (its handler delays verdicts forever if asked), node 2 in a child process. */
async function setUp(keepaliveIntervalMs: number): Promise<{ one: TestNode; child: ChildProcess }> {
  const tls = pki.issueTls(1);
  const transport = await startTransport(pki, 1, tls, { keepaliveIntervalMs, submitTimeoutMs: 60_000 });
  const one: TestNode = { id: 1, tls, transport, handler: new RecordingHandler() };
  nodes.push(one);
  const childTls = pki.issueTls(2);
  const config = { id: 2, port: 0, certPem: childTls.certPem, keyPem: childTls.keyPem, caPem: pki.caPem, peers: consenters([one]) };
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`peer process exited (${code}) before it was ready: ${out}`)));
  });
  transport.updatePeers([{ id: 2, address: `127.0.0.1:${port}`, tlsCertPem: childTls.certPem }]);
  await transport.forwardSubmit('ch1', 2, new Uint8Array([1]));
  expect(transport.isReachable(2)).toBe(true);
  return { one, child };
}

test('a peer killed with SIGKILL: onUnreachable fires and a later forward fails SERVICE_UNAVAILABLE', async () => {
  const { one, child } = await setUp(10_000);
  const unreachable: number[] = [];
  one.transport.onUnreachable((peer) => unreachable.push(peer));
  child.kill('SIGKILL');
  await waitFor(() => unreachable.includes(2), 'onUnreachable(2) after SIGKILL');
  expect(one.transport.isReachable(2)).toBe(false);
  const error = await one.transport.forwardSubmit('ch1', 2, new Uint8Array([2])).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ClusterUnavailableError);
});

test('a killed peer probed at once: the redial is refused and reported as another loss, with no backoff wait', async () => {
  const { one, child } = await setUp(10_000);
  const unreachable: number[] = [];
  one.transport.onUnreachable((peer) => unreachable.push(peer));
  child.kill('SIGKILL');
  await waitFor(() => unreachable.length === 1, 'onUnreachable(2) after SIGKILL');
  // The link backs off now (100 ms and more): probe() dials anyway, and nobody listens on the port.
  one.transport.probe(2);
  await waitFor(() => unreachable.length === 2, 'the probe refused');
  expect(unreachable).toEqual([2, 2]);
  expect(one.transport.isReachable(2)).toBe(false);
});

test('a frozen peer (SIGSTOP) is detected by keepalive: the waiting forward fails; after SIGCONT it is reachable again', async () => {
  const { one, child } = await setUp(1000);
  const unreachable: number[] = [];
  one.transport.onUnreachable((peer) => unreachable.push(peer));
  child.kill('SIGSTOP');
  // submitTimeoutMs is 60 s: only the keepalive (1 s interval, 1 s timeout) can end this wait in time.
  const error = await one.transport.forwardSubmit('ch1', 2, new Uint8Array([3])).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ClusterUnavailableError);
  expect((error as Error).message).toMatch(/broke/);
  expect(unreachable).toContain(2);
  child.kill('SIGCONT');
  // Heartbeats, as Raft would send them, make the link dial again once its backoff ends.
  await waitFor(
    () => {
      if (one.transport.isReachable(2)) return true;
      one.transport.sendConsensus('ch1', 2, heartbeat(1, 2, 1));
      return false;
    },
    'the thawed peer to be reachable',
    20_000,
  );
  await one.transport.forwardSubmit('ch1', 2, new Uint8Array([4]));
}, 40_000);
