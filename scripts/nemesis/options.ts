// The nemesis' options: parsed from the command line, validated once, each
// error naming the flag.

import { ORDERER_RUNTIMES, type OrdererRuntime } from '../../src/cli/index.js';

export type FaultKind = 'kill9' | 'stop' | 'term' | 'wipe' | 'partition' | 'slow' | 'member' | 'disk';
export const FAULT_KINDS: readonly FaultKind[] = ['kill9', 'stop', 'term', 'wipe', 'partition', 'slow', 'member', 'disk'];

export interface NemesisOptions {
  /** Seeds the fault schedule (kinds, targets' roles, durations, pauses). */
  readonly seed: number;
  /** Faults are started until this much time has passed (the last one then heals and is checked). */
  readonly durationS: number;
  readonly nodes: number;
  readonly channels: number;
  /** Every node native, every node native-free, or alternating. */
  readonly engine: 'native' | 'native-free' | 'mixed';
  /** sm2: a GM cluster (SM2 signatures, SM3 hashes). */
  readonly algorithm: 'ecdsa-p256' | 'sm2';
  readonly tickIntervalMs: number;
  readonly electionTick: number;
  readonly batchTimeoutMs: number;
  /** How long a committed acknowledgement waits for its block before SERVICE_UNAVAILABLE. */
  readonly ackTimeoutMs: number;
  /** Envelopes per second offered over all channels and both acknowledgement modes. */
  readonly ratePerSec: number;
  readonly faults: readonly FaultKind[];
  /** Stop after this many faults even if time is left. */
  readonly faultsMax: number;
  /** Whom the faults hit: a channel's leader, a follower, or either as the schedule rolls (`member` always takes a follower). */
  readonly target: 'any' | 'leader' | 'follower';
  /** The load's acknowledgement modes: one lane per mode and channel. */
  readonly ack: 'both' | 'committed' | 'accepted';
  /** Keep the cluster's directory (keys, ledgers, node logs) afterwards. */
  readonly keep: boolean;
  /**
   * What the orderer processes run: compiled JavaScript (dist/, built at the
   * start, as in production: a node restarted mid-run loads what the run
   * started with) or the TypeScript sources under tsx.
   */
  readonly orderers: OrdererRuntime;
}

export const NEMESIS_DEFAULTS: Omit<NemesisOptions, 'seed'> = {
  durationS: 120,
  nodes: 3,
  channels: 2,
  engine: 'mixed',
  algorithm: 'ecdsa-p256',
  tickIntervalMs: 100,
  electionTick: 10,
  batchTimeoutMs: 200,
  ackTimeoutMs: 5000,
  ratePerSec: 120,
  faults: FAULT_KINDS,
  faultsMax: 1_000_000,
  target: 'any',
  ack: 'both',
  keep: false,
  orderers: 'compiled',
};

export class NemesisOptionsError extends Error {}

const USAGE = `usage: npm run nemesis -- [--seed N] [--duration-s 120] [--nodes 3] [--channels 2] [--engine native|native-free|mixed]
  [--algorithm ecdsa-p256|sm2] [--tick-interval-ms 100] [--election-tick 10] [--batch-timeout-ms 200] [--ack-timeout-ms 5000]
  [--rate 120] [--faults kill9,stop,term,wipe,partition,slow,member,disk] [--faults-max N]
  [--target any|leader|follower] [--ack both|committed|accepted] [--orderers compiled|tsx] [--keep]`;

export function parseNemesisArgs(argv: readonly string[]): NemesisOptions {
  const values = new Map<string, string>();
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--keep') {
      keep = true;
      continue;
    }
    if (!flag.startsWith('--') || i + 1 >= argv.length) throw new NemesisOptionsError(`unexpected argument ${flag}\n${USAGE}`);
    values.set(flag.slice(2), argv[++i]!);
  }
  const known = [
    'seed',
    'duration-s',
    'nodes',
    'channels',
    'engine',
    'algorithm',
    'tick-interval-ms',
    'election-tick',
    'batch-timeout-ms',
    'ack-timeout-ms',
    'rate',
    'faults',
    'faults-max',
    'target',
    'ack',
    'orderers',
  ];
  for (const key of values.keys()) if (!known.includes(key)) throw new NemesisOptionsError(`unknown flag --${key}\n${USAGE}`);
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = values.get(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new NemesisOptionsError(`--${key} must be an integer in ${min}..${max}, got "${raw}"`);
    return n;
  };
  const oneOf = <T extends string>(key: string, fallback: T, allowed: readonly T[]): T => {
    const raw = values.get(key);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) throw new NemesisOptionsError(`--${key} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return raw as T;
  };
  const faults = values.get('faults')?.split(',') ?? NEMESIS_DEFAULTS.faults;
  const badFault = faults.find((f) => !(FAULT_KINDS as readonly string[]).includes(f));
  if (badFault !== undefined || faults.length === 0)
    throw new NemesisOptionsError(`--faults must list some of ${FAULT_KINDS.join(', ')}, got "${values.get('faults')}"`);
  const d = NEMESIS_DEFAULTS;
  return {
    seed: int('seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31 - 1),
    durationS: int('duration-s', d.durationS, 5, 24 * 3600),
    nodes: int('nodes', d.nodes, 3, 7),
    channels: int('channels', d.channels, 1, 16),
    engine: oneOf('engine', d.engine, ['native', 'native-free', 'mixed'] as const),
    algorithm: oneOf('algorithm', d.algorithm, ['ecdsa-p256', 'sm2'] as const),
    tickIntervalMs: int('tick-interval-ms', d.tickIntervalMs, 10, 1000),
    electionTick: int('election-tick', d.electionTick, 2, 100),
    batchTimeoutMs: int('batch-timeout-ms', d.batchTimeoutMs, 10, 10_000),
    ackTimeoutMs: int('ack-timeout-ms', d.ackTimeoutMs, 100, 600_000),
    ratePerSec: int('rate', d.ratePerSec, 1, 100_000),
    faults: faults as FaultKind[],
    faultsMax: int('faults-max', d.faultsMax, 1, 1_000_000),
    target: oneOf('target', d.target, ['any', 'leader', 'follower'] as const),
    ack: oneOf('ack', d.ack, ['both', 'committed', 'accepted'] as const),
    orderers: oneOf('orderers', d.orderers, ORDERER_RUNTIMES),
    keep,
  };
}
