// `orderer bench`: the load harness. Points at a local cluster it starts
// itself (--nodes N) or at running AtomicBroadcast endpoints (--endpoint,
// --tls-ca, --channel, --msp-dir), drives a schedule (flags or a YAML/JSON
// file), and writes report.md, report.json and SVG charts. Thresholds make
// the exit code non-zero (1) for CI; bad flags exit 2; Ctrl-C writes the
// report so far.

import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BenchConfigError,
  buildReport,
  describeMachine,
  EnvelopeSupply,
  evaluateThresholds,
  findMaxPhase,
  externalTarget,
  parseThreshold,
  plannedEnvelopes,
  progressLine,
  readScheduleFile,
  runBench,
  scheduleDurationS,
  writeReport,
  type BenchTarget,
  type Schedule,
  type TargetRole,
  type Threshold,
} from '../client/index.js';
import { choiceFlag, intFlag, stringFlag, type ParsedFlags } from './args.js';
import { stopSignal } from './clusterCommand.js';
import { CliUsageError } from './errors.js';
import { LinePainter } from './dev/liveView.js';
import { localTarget } from './dev/benchLocalTarget.js';
import { currentRuntime, ORDERER_RUNTIMES } from './dev/ordererRuntime.js';
import { benchCompareCommand } from './benchCompareCommand.js';
import { TX_ID_HORIZON_RANGE } from '../config/index.js';

export const BENCH_USAGE =
  'orderer bench [--nodes 3] [--algorithm p256|sm2] [--channels 1] [--orderers compiled|tsx] | [--endpoint host:port ... --channel ID[,ID...] ... --msp-dir DIR [--msp-id ID] [--tls-ca FILE] [--server-name NAME] [--operations host:port ...]]\n' +
  '      [--duration-s 30] [--rate TX/S [--to-rate TX/S] | --backlog N | --schedule FILE] [--target leader|followers|all] [--envelope-bytes 1024]\n' +
  '      [--find-max --rate START [--step-rate TX/S] [--step-s 5] [--max-rate TX/S] [--max-steps 20] --bound EXPR ...]\n' +
  '      [--streams 4] [--max-outstanding 20000] [--tick-ms N] [--presign N] [--out bench-report] [--html] [--threshold EXPR ...] [--tx-id-horizon N]\n' +
  '  orderer bench compare OLD.json NEW.json [--threshold EXPR ...]';

const FLAGS = {
  nodes: { type: 'string' },
  orderers: { type: 'string' },
  algorithm: { type: 'string' },
  endpoint: { type: 'string', multiple: true },
  operations: { type: 'string', multiple: true },
  channel: { type: 'string', multiple: true },
  channels: { type: 'string' },
  'msp-dir': { type: 'string' },
  'msp-id': { type: 'string' },
  'tls-ca': { type: 'string' },
  'server-name': { type: 'string' },
  'duration-s': { type: 'string' },
  rate: { type: 'string' },
  'to-rate': { type: 'string' },
  backlog: { type: 'string' },
  'find-max': { type: 'boolean' },
  'step-rate': { type: 'string' },
  'step-s': { type: 'string' },
  'max-rate': { type: 'string' },
  'max-steps': { type: 'string' },
  bound: { type: 'string', multiple: true },
  schedule: { type: 'string' },
  target: { type: 'string' },
  'envelope-bytes': { type: 'string' },
  streams: { type: 'string' },
  'max-outstanding': { type: 'string' },
  'tick-ms': { type: 'string' },
  presign: { type: 'string' },
  out: { type: 'string' },
  html: { type: 'boolean' },
  threshold: { type: 'string', multiple: true },
  'batch-timeout-ms': { type: 'string' },
  'tx-id-horizon': { type: 'string' },
} as const;

function parse(argv: readonly string[]): { flags: ParsedFlags; multi: Record<string, string[]> } {
  try {
    const { values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false });
    const multi = {
      endpoint: values.endpoint ?? [],
      operations: values.operations ?? [],
      threshold: values.threshold ?? [],
      bound: values.bound ?? [],
      // --channel a --channel b, or --channel a,b
      channel: (values.channel ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()),
    };
    const { endpoint: _e, operations: _o, threshold: _t, bound: _b, channel: _c, ...single } = values;
    return { flags: single, multi };
  } catch (error) {
    throw new CliUsageError(`orderer bench: ${(error as Error).message}`);
  }
}

const FIND_MAX_FLAGS = ['step-rate', 'step-s', 'max-rate', 'max-steps'] as const;

/** --find-max: step the rate up from --rate by --step-rate every --step-s while every --bound holds. */
function findMaxFrom(flags: ParsedFlags, bounds: readonly string[]): Schedule {
  for (const name of ['to-rate', 'backlog', 'duration-s']) {
    if (flags[name] !== undefined) throw new CliUsageError(`--${name} does not go with --find-max (its steps say how long and how fast)`);
  }
  if (flags['rate'] === undefined) throw new CliUsageError("--find-max needs --rate, the first step's rate (tx/s)");
  const startRate = intFlag(flags, 'rate', 0, 1, 1_000_000);
  const stepRate = intFlag(flags, 'step-rate', startRate, 1, 1_000_000);
  const stepS = intFlag(flags, 'step-s', 5, 1, 3600);
  const maxSteps = intFlag(flags, 'max-steps', 20, 1, 1000);
  const maxRate = flags['max-rate'] === undefined ? undefined : intFlag(flags, 'max-rate', 0, startRate, 1_000_000);
  if (bounds.length === 0) throw new CliUsageError('--find-max needs at least one --bound (e.g. --bound ack_p99<200ms --bound refused_ratio<0.01)');
  try {
    const phase = findMaxPhase({ name: 'find max', startRate, stepRate, stepS, maxSteps, bounds, ...(maxRate !== undefined && { maxRate }) }, '--find-max');
    return { phases: [phase], faults: [] };
  } catch (error) {
    throw new CliUsageError((error as Error).message.replace(/--find-max\.bounds\[\d+\]: /, '--bound: '));
  }
}

/** The schedule from --schedule, --find-max, or one phase from --rate/--to-rate/--backlog (default: closed loop, 512 outstanding). */
function scheduleFrom(flags: ParsedFlags, bounds: readonly string[]): Schedule {
  const file = stringFlag(flags, 'schedule');
  if (file !== undefined) {
    for (const name of ['rate', 'to-rate', 'backlog', 'duration-s', 'find-max', ...FIND_MAX_FLAGS]) {
      if (flags[name] !== undefined) throw new CliUsageError(`--${name} and --schedule exclude each other (the schedule file says it)`);
    }
    if (bounds.length > 0) throw new CliUsageError('--bound and --schedule exclude each other (a find_max phase of the file has its bounds)');
    return readScheduleFile(path.resolve(file));
  }
  if (flags['find-max'] === true) return findMaxFrom(flags, bounds);
  for (const name of FIND_MAX_FLAGS) if (flags[name] !== undefined) throw new CliUsageError(`--${name} needs --find-max`);
  if (bounds.length > 0) throw new CliUsageError('--bound needs --find-max (to gate a whole run, use --threshold)');
  const durationS = intFlag(flags, 'duration-s', 30, 1, 24 * 3600);
  if (flags['rate'] !== undefined && flags['backlog'] !== undefined)
    throw new CliUsageError('--rate (open loop) and --backlog (closed loop) exclude each other');
  if (flags['rate'] !== undefined) {
    const rate = intFlag(flags, 'rate', 0, 1, 1_000_000);
    const toRate = intFlag(flags, 'to-rate', rate, 1, 1_000_000);
    return { phases: [{ kind: 'rate', name: rate === toRate ? `${rate} tx/s` : `ramp ${rate}-${toRate}`, durationS, rate, toRate }], faults: [] };
  }
  if (flags['to-rate'] !== undefined) throw new CliUsageError('--to-rate needs --rate');
  const backlog = intFlag(flags, 'backlog', 512, 1, 100_000);
  return { phases: [{ kind: 'backlog', name: `backlog ${backlog}`, durationS, backlog }], faults: [] };
}

/** Envelopes to sign before the clock starts: what open-loop phases make due (+2%; every step of a find-max phase), and ~1,500/s for closed-loop ones (more are signed on the fly). */
function presignCount(flags: ParsedFlags, schedule: Schedule): number {
  const planned = schedule.phases.reduce((sum, p) => sum + (plannedEnvelopes(p) ?? Math.ceil(p.durationS * 1500)), 0);
  return intFlag(flags, 'presign', Math.min(600_000, Math.ceil(planned * 1.02) + 100), 100, 5_000_000);
}

async function openTarget(
  flags: ParsedFlags,
  endpoints: string[],
  operations: string[],
  channelIds: string[],
  envelopeBytes: number,
  algorithm: 'ecdsa-p256' | 'sm2',
): Promise<BenchTarget> {
  if (endpoints.length === 0) {
    for (const name of ['msp-dir', 'msp-id', 'tls-ca', 'server-name']) {
      if (flags[name] !== undefined) throw new CliUsageError(`--${name} is for external endpoints: give --endpoint too`);
    }
    if (channelIds.length > 0) throw new CliUsageError('--channel is for external endpoints: give --endpoint too (the local cluster takes --channels N)');
    if (operations.length > 0) throw new CliUsageError('--operations is for external endpoints: give --endpoint too');
    const nodes = intFlag(flags, 'nodes', 3, 1, 9);
    const channels = intFlag(flags, 'channels', 1, 1, 32);
    const batchTimeoutMs = flags['batch-timeout-ms'] === undefined ? undefined : intFlag(flags, 'batch-timeout-ms', 2000, 1, 60_000);
    const txIdHorizon = flags['tx-id-horizon'] === undefined ? undefined : intFlag(flags, 'tx-id-horizon', 0, TX_ID_HORIZON_RANGE.min, TX_ID_HORIZON_RANGE.max);
    // Compiled from sources needs `npm run build` first; run compiled, the CLI can only spawn its own dist.
    const runtime = choiceFlag(flags, 'orderers', ORDERER_RUNTIMES, currentRuntime());
    process.stdout.write(`starting a local cluster of ${nodes} nodes${channels > 1 ? ` serving ${channels} channels` : ''} (orderers: ${runtime})...\n`);
    return localTarget({
      nodes,
      algorithm,
      envelopeBytes,
      channels,
      runtime,
      ...(batchTimeoutMs !== undefined && { batchTimeoutMs }),
      ...(txIdHorizon !== undefined && { txIdHorizon }),
    });
  }
  if (flags['nodes'] !== undefined) throw new CliUsageError('--nodes starts a local cluster: it does not go with --endpoint');
  if (flags['orderers'] !== undefined) throw new CliUsageError('--orderers is for the local cluster: it does not go with --endpoint');
  if (flags['channels'] !== undefined) throw new CliUsageError('--channels N is for the local cluster: name external channels with --channel a,b');
  if (flags['tx-id-horizon'] !== undefined) throw new CliUsageError('--tx-id-horizon configures the local cluster: it does not go with --endpoint');
  const mspDir = stringFlag(flags, 'msp-dir');
  if (channelIds.length === 0) throw new CliUsageError('--channel is required with --endpoint');
  if (channelIds.some((c) => c.length === 0)) throw new CliUsageError('--channel has an empty channel name');
  const duplicate = channelIds.find((c, i) => channelIds.indexOf(c) !== i);
  if (duplicate !== undefined) throw new CliUsageError(`--channel names ${duplicate} twice`);
  if (mspDir === undefined) throw new CliUsageError('--msp-dir is required with --endpoint (a Fabric MSP directory with signcerts/ and keystore/)');
  if (operations.length > 0 && operations.length !== endpoints.length)
    throw new CliUsageError(`--operations must be given once per --endpoint (${endpoints.length}), got ${operations.length}`);
  const tlsCa = stringFlag(flags, 'tls-ca');
  const serverName = stringFlag(flags, 'server-name');
  return externalTarget({
    endpoints,
    channelId: channelIds,
    mspDir: path.resolve(mspDir),
    mspId: stringFlag(flags, 'msp-id') ?? 'ClientMSP',
    envelopeBytes,
    ...(tlsCa !== undefined && { tlsCaFile: path.resolve(tlsCa) }),
    ...(serverName !== undefined && { serverNameOverride: serverName }),
    ...(operations.length > 0 && { operations }),
  });
}

export async function benchCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'compare') return benchCompareCommand(argv.slice(1));
  const { flags, multi } = parse(argv);
  const thresholds: Threshold[] = multi['threshold']!.map((t) => {
    try {
      return parseThreshold(t);
    } catch (error) {
      throw new CliUsageError(`--threshold: ${(error as Error).message}`);
    }
  });
  const schedule = scheduleFrom(flags, multi['bound']!);
  const algorithm = choiceFlag(flags, 'algorithm', ['p256', 'sm2'] as const, 'p256') === 'sm2' ? 'sm2' : 'ecdsa-p256';
  const envelopeBytes = intFlag(flags, 'envelope-bytes', 1024, 256, 1024 * 1024);
  const role = choiceFlag<TargetRole>(flags, 'target', ['leader', 'followers', 'all'], 'leader');
  const streamsPerNode = intFlag(flags, 'streams', 4, 1, 256);
  const maxOutstanding = intFlag(flags, 'max-outstanding', 20_000, 1, 1_000_000);
  const tickMs = flags['tick-ms'] === undefined ? undefined : intFlag(flags, 'tick-ms', 2, 1, 100);
  const outDir = path.resolve(stringFlag(flags, 'out') ?? 'bench-report');
  const presign = presignCount(flags, schedule);
  const endpoints = multi['endpoint']!;
  if (endpoints.length > 0 && flags['algorithm'] !== undefined)
    throw new CliUsageError('--algorithm is for the local cluster: external endpoints sign with the --msp-dir key');
  if (endpoints.length > 0 && schedule.faults.length > 0)
    throw new BenchConfigError('the schedule has faults: faults need the local cluster (the harness cannot signal an external orderer)');

  const stop = stopSignal();
  const target = await openTarget(flags, endpoints, multi['operations']!, multi['channel']!, envelopeBytes, algorithm);
  const supplies = EnvelopeSupply.forChannels(target.signer, target.channelIds);
  try {
    process.stdout.write(
      `${target.description}\nsigning ${presign.toLocaleString('en-US')} envelopes ahead (signing processes)${supplies.length > 1 ? `, split over ${supplies.length} channels` : ''}...\n`,
    );
    await Promise.race([Promise.all(supplies.map((s) => s.prepare(Math.ceil(presign / supplies.length)))), stop.promise]);
    if (stop.requested) return 1;
    process.stdout.write(`running ${scheduleDurationS(schedule)} s; Ctrl-C ends early and writes the report so far\n`);
    const aborter = new AbortController();
    void stop.promise.then(() => aborter.abort());
    const painter = new LinePainter();
    const run = await runBench({
      target,
      schedule,
      role,
      streamsPerNode,
      maxOutstanding,
      supply: supplies,
      signal: aborter.signal,
      ...(tickMs !== undefined && { tickMs }),
      onSample: (sample, driver) => painter.paint([progressLine(sample, driver.outstanding)]),
    });
    const report = buildReport(
      run,
      {
        target: target.description,
        kind: target.kind,
        nodes: target.nodes.length,
        algorithm: endpoints.length > 0 ? 'as the MSP key' : algorithm,
        envelopeBytes,
        role,
        streamsPerNode,
        maxOutstanding,
        tickMs: tickMs ?? null,
        schedule,
        channelId: target.channelId,
        channelIds: target.channelIds,
      },
      describeMachine(),
    );
    report.thresholds = evaluateThresholds(report, thresholds);
    const files = await writeReport(outDir, report, { html: flags['html'] === true });
    const s = report.summary;
    for (const f of report.findMax)
      process.stdout.write(
        `\nfind the maximum (${f.bounds.join(', ')}): ${f.steps.map((st) => `${st.rate} tx/s ${st.pass ? 'ok' : 'over'}`).join(', ')} -> ` +
          `maximum sustainable rate ${f.maxSustainableRate === null ? 'none' : `${f.maxSustainableRate} tx/s`}`,
      );
    process.stdout.write(
      `\n${Math.round(s.committedTxPerS)} committed tx/s, ack p50/p99/p99.9 ${s.ack.p50}/${s.ack.p99}/${s.ack.p999} ms, commit p50/p99 ${s.commit.p50}/${s.commit.p99} ms, ` +
        `refused ${Object.values(s.refused).reduce((a, b) => a + b, 0)}; harness ${report.harness.harnessUsPerEnvelope?.toFixed(1) ?? '—'} µs CPU per envelope (every thread of the harness process; main thread ${report.harness.mainThreadUsPerEnvelope?.toFixed(1) ?? '—'}; signing on the fly, apart, ${report.harness.signingUsPerEnvelope?.toFixed(1) ?? '—'})` +
        `${report.harness.steady === undefined ? '' : `; at steady state, from ${report.harness.steady.fromS} s: ${report.harness.steady.harnessUsPerEnvelope?.toFixed(1) ?? '—'} µs`}\n` +
        `report: ${files.join(', ')}\n`,
    );
    for (const t of report.thresholds) process.stdout.write(`threshold ${t.expression}: ${t.pass ? 'pass' : 'FAIL'} (value ${t.value ?? '—'})\n`);
    return report.thresholds.every((t) => t.pass) ? 0 : 1;
  } finally {
    for (const supply of supplies.slice(1)) await supply.close();
    await supplies[0]!.close();
    await target.close();
  }
}
