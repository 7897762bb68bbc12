// Several channels in one run: the schedule's rate is split evenly over the
// channels, each has its own streams, envelopes and Deliver stream, and the
// per-channel figures add up to the run's (against a stub orderer that
// serves any channel name).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeNodePorts, keygen } from '../../../src/cli/index.js';
import {
  BenchConfigError,
  buildReport,
  describeMachine,
  EnvelopeSupply,
  externalTarget,
  renderMarkdown,
  runBench,
  startStubOrderer,
  type RunResult,
} from '../../../src/client/index.js';
import { stubReportConfig } from './stubReportConfig.js';

const RATE = 300;
const SECONDS = 2;
const CHANNELS = ['alpha', 'beta', 'gamma'];

describe('a run over several channels', () => {
  let dir: string;
  let mspDir: string;
  let mspId: string;
  let run: RunResult;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-channels-'));
    const manifest = keygen({ outDir: dir, nodes: 1, algorithm: 'ecdsa-p256', channelId: 'stub', ports: await freeNodePorts(1), engine: 'native' });
    mspDir = path.join(dir, manifest.client.mspDir);
    mspId = manifest.client.mspId;
    const stub = await startStubOrderer({ blockIntervalMs: 50 });
    const target = await externalTarget({ endpoints: [stub.address], channelId: CHANNELS, mspDir, mspId, envelopeBytes: 512 });
    const supplies = EnvelopeSupply.forChannels(target.signer, target.channelIds, 1);
    try {
      await Promise.all(supplies.map((s) => s.prepare(Math.ceil((RATE * SECONDS) / CHANNELS.length) + 50)));
      run = await runBench({
        target,
        schedule: { phases: [{ kind: 'rate', name: 'steady', durationS: SECONDS, rate: RATE, toRate: RATE }], faults: [] },
        role: 'all',
        streamsPerNode: 1,
        maxOutstanding: 10_000,
        supply: supplies,
      });
    } finally {
      for (const s of supplies.slice(1)) await s.close();
      await supplies[0]!.close();
      await target.close();
      await stub.close();
    }
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('splits the rate evenly and sends each channel its own envelopes', () => {
    expect(run.channels.map((c) => c.channelId)).toEqual(CHANNELS);
    expect(run.total.sent).toBe(RATE * SECONDS);
    for (const c of run.channels) expect(c.total.sent).toBe((RATE * SECONDS) / CHANNELS.length);
  });

  it("adds each channel's figures up to the run's, every envelope committed on its own channel", () => {
    const sum = (get: (c: RunResult['channels'][number]) => number) => run.channels.reduce((total, c) => total + get(c), 0);
    expect(sum((c) => c.total.acknowledged)).toBe(run.total.acknowledged);
    expect(sum((c) => c.total.committedOwn)).toBe(run.total.committedOwn);
    expect(sum((c) => c.total.ack.count)).toBe(run.total.ack.count);
    for (const c of run.channels) expect(c.total.committedOwn).toBe(c.total.sent);
    expect(run.total.acknowledged).toBe(run.total.sent);
  });

  it('counts each channel second by second, adding up to the second and to the channel', () => {
    expect(run.seconds.length).toBeGreaterThan(1);
    for (const second of run.seconds) {
      expect(second.channels).toHaveLength(CHANNELS.length);
      for (const field of ['sent', 'acknowledged', 'committedOwn', 'blocks'] as const)
        expect(
          second.channels!.reduce((total, c) => total + c[field], 0),
          field,
        ).toBe(second[field]);
    }
    run.channels.forEach((channel, i) => {
      for (const field of ['acknowledged', 'committedOwn', 'blocks'] as const)
        expect(
          run.seconds.reduce((total, s) => total + s.channels![i]![field], 0),
          field,
        ).toBe(channel.total[field]);
    });
  });

  it("prints each channel's tx/s second by second in report.md", () => {
    const report = buildReport(
      run,
      stubReportConfig({
        maxOutstanding: 10_000,
        schedule: { phases: [{ kind: 'rate', name: 'steady', durationS: SECONDS, rate: RATE, toRate: RATE }], faults: [] },
        channelId: CHANNELS[0]!,
        channelIds: CHANNELS,
      }),
      describeMachine(),
    );
    const md = renderMarkdown(report, []);
    expect(md).toContain(`| t s | phase | ${CHANNELS.join(' | ')} |`);
    const first = report.seconds[0]!;
    const perS = (count: number) => Math.round(count / first.intervalS).toLocaleString('en-US');
    expect(md).toContain(
      `| ${first.t.toFixed(1)} | ${first.phase} | ${first.channels!.map((c) => `${perS(c.committedOwn)} / ${perS(c.acknowledged)}`).join(' | ')} |`,
    );
  });

  it('refuses a channel named twice', async () => {
    await expect(externalTarget({ endpoints: ['127.0.0.1:1'], channelId: ['a', 'a'], mspDir, mspId, envelopeBytes: 512 })).rejects.toThrow(BenchConfigError);
    await expect(externalTarget({ endpoints: ['127.0.0.1:1'], channelId: ['a', 'a'], mspDir, mspId, envelopeBytes: 512 })).rejects.toThrow(
      'channel a is given twice',
    );
  });
});
