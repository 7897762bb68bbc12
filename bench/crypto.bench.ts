// Single-core crypto figures, native vs native-free side by side:
// verify/s and sign/s for ecdsa-p256 and sm2 (1 KiB message), hash MB/s for
// sha256 and sm3 over 1 KiB and 1 MiB, and the cost of a cached creator check.
//
//   npm run bench:crypto [-- --time-ms=1000]
//
// Runs on the main thread only (one core). Figures depend on machine load:
// the machine and its load average are printed with them.

import os from 'node:os';
import { Bench } from 'tinybench';
import { DevOrganization } from '../src/crypto/index.js';
import { IdentityValidator } from '../src/crypto/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../src/crypto/index.js';
import { numberFlag } from './lib/flags.js';

const ENGINES: readonly Engine[] = ['native', 'native-free'];
const TIME_MS_DEFAULT = 1000;
const MESSAGES = 16; // distinct pre-signed messages, cycled, so nothing is trivially repeated

interface Row {
  readonly operation: string;
  readonly unit: string;
  /** Converts tinybench's mean throughput (operations/s) into the row's unit. */
  readonly scale: number;
  readonly values: Partial<Record<Engine, number>>;
}

const rows = new Map<string, Row>();

function record(operation: string, unit: string, scale: number, engine: Engine, opsPerSecond: number): void {
  let row = rows.get(operation);
  if (row === undefined) {
    row = { operation, unit, scale, values: {} };
    rows.set(operation, row);
  }
  row.values[engine] = opsPerSecond * scale;
}

function addSignatureTasks(bench: Bench, engine: Engine, algorithm: SignatureAlgorithm, labels: Map<string, [string, string, number]>): void {
  const provider = createCryptoProvider(engine);
  const signer = provider.generateSigner(algorithm);
  const verifier = provider.verifier(algorithm);
  const messages = Array.from({ length: MESSAGES }, (_, i) => new Uint8Array(1024).fill(i));
  const signatures = messages.map((m) => signer.sign(m));
  let i = 0;
  const verifyName = `${engine} verify ${algorithm}`;
  bench.add(verifyName, () => {
    const k = i++ % MESSAGES;
    if (!verifier.verify(signer.publicKey, messages[k]!, signatures[k]!)) throw new Error('benchmark signature did not verify');
  });
  labels.set(verifyName, [`verify ${algorithm} (1 KiB msg)`, 'verify/s', 1]);
  const signName = `${engine} sign ${algorithm}`;
  bench.add(signName, () => {
    signer.sign(messages[i++ % MESSAGES]!);
  });
  labels.set(signName, [`sign ${algorithm} (1 KiB msg)`, 'sign/s', 1]);
}

function addHashTasks(bench: Bench, engine: Engine, algorithm: HashAlgorithm, labels: Map<string, [string, string, number]>): void {
  const hasher = createCryptoProvider(engine).hasher(algorithm);
  for (const [size, label] of [
    [1024, '1 KiB'],
    [1024 * 1024, '1 MiB'],
  ] as const) {
    const data = new Uint8Array(size).fill(0x5a);
    const name = `${engine} ${algorithm} ${label}`;
    bench.add(name, () => {
      hasher.digest(data);
    });
    labels.set(name, [`${algorithm} over ${label}`, 'MB/s', size / 1e6]);
  }
}

function addIdentityTask(bench: Bench, engine: Engine, labels: Map<string, [string, string, number]>): void {
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider(engine) });
  const validator = new IdentityValidator({ engine, organizations: [org.config] });
  const member = org.issueMember('User1');
  const now = new Date();
  validator.validate(member, now); // prime the cache: the steady state is a hit
  const name = `${engine} identity hit`;
  bench.add(name, () => {
    validator.validate(member, now);
  });
  labels.set(name, ['creator check, cached (ecdsa-p256)', 'checks/s', 1]);
}

function format(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

async function main(): Promise<void> {
  const timeMs = numberFlag('time-ms', { fallback: TIME_MS_DEFAULT, min: 50, max: 60_000 });
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 4) });
  const labels = new Map<string, [string, string, number]>();
  for (const engine of ENGINES) {
    addSignatureTasks(bench, engine, 'ecdsa-p256', labels);
    addSignatureTasks(bench, engine, 'sm2', labels);
    addHashTasks(bench, engine, 'sha256', labels);
    addHashTasks(bench, engine, 'sm3', labels);
    addIdentityTask(bench, engine, labels);
  }
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
    const [operation, unit, scale] = labels.get(task.name)!;
    record(operation, unit, scale, task.name.startsWith('native-free') ? 'native-free' : 'native', result.throughput.mean);
  }
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, node ${process.version}, OpenSSL ${process.versions.openssl}`);
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other processes depress these figures)`,
  );
  console.log(`single core (main thread), ${timeMs} ms per task\n`);
  console.table(
    [...rows.values()].map((row) => ({
      operation: row.operation,
      unit: row.unit,
      native: format(row.values.native),
      'native-free': format(row.values['native-free']),
      'native / native-free': row.values.native && row.values['native-free'] ? `${(row.values.native / row.values['native-free']).toFixed(1)}x` : '-',
    })),
  );
  console.log('SM2: both engines run the same pure-JS curve code (see src/crypto/SM2.md); native only swaps in OpenSSL SM3.');
}

await main();
