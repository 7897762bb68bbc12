// `orderer keygen --out <dir> --nodes N [--algorithm ecdsa-p256|sm2] ...`

import path from 'node:path';
import type { SignatureAlgorithm } from '../crypto/index.js';
import { choiceFlag, intFlag, parseFlags, requiredStringFlag, stringFlag, type FlagSpec } from './args.js';
import { keygen, portsFromBase } from './dev/keygen.js';

export const KEYGEN_USAGE =
  'orderer keygen --out <dir> [--nodes 3] [--algorithm ecdsa-p256|sm2] [--channel mychannel] [--base-port 7050] ' +
  '[--engine native|native-free] [--tick-interval-ms 500] [--election-tick 10] [--batch-timeout-ms 2000] [--max-message-count 500]';

export const KEYGEN_FLAGS: FlagSpec = {
  out: { type: 'string' },
  nodes: { type: 'string' },
  algorithm: { type: 'string' },
  channel: { type: 'string' },
  'base-port': { type: 'string' },
  engine: { type: 'string' },
  'tick-interval-ms': { type: 'string' },
  'election-tick': { type: 'string' },
  'batch-timeout-ms': { type: 'string' },
  'max-message-count': { type: 'string' },
};

export const ALGORITHMS: readonly SignatureAlgorithm[] = ['ecdsa-p256', 'sm2'];

export function keygenCommand(argv: readonly string[]): number {
  const flags = parseFlags('keygen', argv, KEYGEN_FLAGS);
  const outDir = path.resolve(requiredStringFlag(flags, 'out'));
  const manifest = keygenFromFlags(outDir, flags);
  process.stdout.write(`wrote a ${manifest.nodes.length}-node cluster (${manifest.algorithm}, channel ${manifest.channelId}) to ${outDir}\n`);
  for (const node of manifest.nodes) process.stdout.write(`  node ${node.id}: orderer start --config ${path.join(outDir, node.configFile)}\n`);
  return 0;
}

/** Keygen driven by KEYGEN_FLAGS-shaped flags (shared with `orderer cluster`). */
export function keygenFromFlags(outDir: string, flags: Readonly<Record<string, string | boolean | undefined>>, defaultNodes = 3): ReturnType<typeof keygen> {
  const nodes = intFlag(flags, 'nodes', defaultNodes, 1, 64);
  const basePort = intFlag(flags, 'base-port', 7050, 1024, 65535 - 200 - nodes);
  const optionalInt = (name: string, min: number, max: number): number | undefined =>
    stringFlag(flags, name) === undefined ? undefined : intFlag(flags, name, 0, min, max);
  return keygen({
    outDir,
    nodes,
    algorithm: choiceFlag(flags, 'algorithm', ALGORITHMS, 'ecdsa-p256'),
    channelId: stringFlag(flags, 'channel') ?? 'mychannel',
    ports: portsFromBase(basePort, nodes),
    engine: choiceFlag(flags, 'engine', ['native', 'native-free'] as const, 'native'),
    tickIntervalMs: optionalInt('tick-interval-ms', 1, 60_000),
    electionTick: optionalInt('election-tick', 2, 10_000),
    batchTimeoutMs: optionalInt('batch-timeout-ms', 1, 3_600_000),
    maxMessageCount: optionalInt('max-message-count', 1, 1_000_000),
  });
}
