// The native-free engine runs no native code: orderer processes started with
// every native add-on refused (refuseAddons.cjs, preloaded in each thread)
// order and serve envelopes, and none of them even tries to load one. The
// same refusal stops a native-engine node at start-up (LMDB is an add-on), so
// this test fails if the refusal does not reach the node.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/crypto/index.js';
import { keygen } from '../../src/cli/dev/keygen.js';
import { freeNodePorts } from '../../src/cli/dev/freePorts.js';
import { LocalCluster } from '../../src/cli/dev/localCluster.js';
import { checkChannel, order, type Setup } from './channelSupport.js';
import { ELECTION_TICK, TICK_INTERVAL_MS } from './helpers.js';
import { E2E_RUNTIME } from './ordererRuntime.js';

const PRELOAD = fileURLToPath(new URL('./refuseAddons.cjs', import.meta.url));
const CHANNEL = 'addonfree';

interface Refusing extends Setup {
  /** What refuseAddons.cjs recorded in every node's threads. */
  readonly addonLog: string;
}

const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
}, 30_000);

/** A keygen'd cluster of `engine` whose node processes refuse every add-on; not started. */
async function refusingCluster(engine: Engine, nodes: number): Promise<Refusing> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-addonfree-'));
  keygen({
    outDir: dir,
    nodes,
    algorithm: 'ecdsa-p256',
    channelId: CHANNEL,
    ports: await freeNodePorts(nodes),
    engine,
    tickIntervalMs: TICK_INTERVAL_MS,
    electionTick: ELECTION_TICK,
    batchTimeoutMs: 100,
    maxMessageCount: 20,
  });
  const addonLog = path.join(dir, 'addons.log');
  const nodeOptions = `${process.env['NODE_OPTIONS'] ?? ''} --require ${JSON.stringify(PRELOAD)}`.trim();
  const cluster = new LocalCluster(dir, { runtime: E2E_RUNTIME, env: { NODE_OPTIONS: nodeOptions, ADDON_LOG: addonLog } });
  disposers.push(async () => {
    await cluster.stopAll(10_000);
    if (process.env['E2E_KEEP'] === '1') console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, cluster, channelFile: path.join(dir, `channels/${CHANNEL}.yaml`), addonLog };
}

function recorded(setup: Refusing): string[] {
  return fs.existsSync(setup.addonLog)
    ? fs
        .readFileSync(setup.addonLog, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

describe('with every native add-on refused', () => {
  it('a 2-node native-free cluster starts, orders envelopes over Broadcast and serves them over Deliver, loading no add-on', async () => {
    const setup = await refusingCluster('native-free', 2);
    setup.cluster.startAll();
    await setup.cluster.waitHealthy(30_000);
    // Sent to a follower: the envelopes travel to the leader as cluster frames, blocks come back as frames.
    const leader = await setup.cluster.waitLeader(10_000);
    const follower = setup.cluster.nodes.find((n) => n.id !== leader)!.id;
    const acknowledged = await order(setup, follower, CHANNEL, 60);
    expect(acknowledged).toHaveLength(60);
    await checkChannel(setup, CHANNEL, [1, 2], acknowledged);

    const lines = recorded(setup);
    expect(lines.filter((l) => l.startsWith('refused'))).toEqual([]);
    // The refusal was in force: in each node's main thread and in its other threads (worker pool).
    for (const node of setup.cluster.nodes) {
      const pid = setup.cluster.process(node.id).pid;
      const threads = lines.filter((l) => l.startsWith(`pid ${pid} `)).map((l) => Number(/thread (\d+)/.exec(l)![1]));
      expect(threads, `node ${node.id}'s threads`).toContain(0);
      expect(threads.length, `node ${node.id}'s threads`).toBeGreaterThan(1);
    }
  }, 60_000);

  it('a native-engine node does not start: LMDB is an add-on', async () => {
    const setup = await refusingCluster('native', 1);
    setup.cluster.startAll();
    await expect(setup.cluster.waitHealthy(30_000)).rejects.toThrow(/node 1 exited during start-up; see .*; its last words: .*native add-on refused/);
    const refused = recorded(setup).filter((l) => l.startsWith('refused'));
    expect(
      refused.some((l) => /lmdb.*\.node$/.test(l)),
      refused.join('\n'),
    ).toBe(true);
    expect(fs.readFileSync(setup.cluster.logFile(1), 'utf8')).toMatch(/native add-on refused: .*lmdb.*\.node/);
  }, 40_000);
});
