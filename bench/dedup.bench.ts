// CPU cost of the leader's duplicate check per envelope: TxTracker.claim (the
// in-flight set, the recent window, then the ledger's tx-id index for a tx id
// not seen recently) plus onCommitted (the window's bookkeeping when its
// block is applied), over a ledger of 200 blocks × 500 tx ids, both engines.
//
// Usage: npm run bench:dedup [-- --txs 200000 --block-bytes 550000]
// Blocks carry `--block-bytes` of block bytes (default: 500 envelopes of ~1.1 KB), so a
// read of a block costs what it costs on a real ledger.
// Prints CPU µs per envelope (process.cpuUsage: user + system of this
// process, so other load on the machine inflates it only a little).

import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TxTracker } from '../src/chain/index.js';
import { openWalEnvironment, type EngineName, type LedgerBlock } from '../src/storage/index.js';
import { describeMachine } from './lib/machine.js';

const txsArg = process.argv.indexOf('--txs');
const txs = txsArg > 0 ? Number(process.argv[txsArg + 1]) : 200_000;
const blockBytesArg = process.argv.indexOf('--block-bytes');
const blockBytes = blockBytesArg > 0 ? Number(process.argv[blockBytesArg + 1]) : 550_000;
const BLOCKS = 200;
const PER_BLOCK = 500;
const txIdOf = (n: number): string => n.toString(16).padStart(64, '0');

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(engine: EngineName): Promise<Record<string, string>> {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'bench-dedup-'));
  const env = openWalEnvironment({ dir, engine, logger: pino({ level: 'silent' }) });
  try {
    const ledger = env.channel('bench').ledger;
    let prev = new Uint8Array(32);
    for (let number = 0; number < BLOCKS; number++) {
      const headerHash = new Uint8Array(32).fill((number % 250) + 1);
      headerHash[0] = number & 0xff;
      headerHash[1] = number >> 8;
      const txIds = Array.from({ length: PER_BLOCK }, (_, i) => txIdOf(number * PER_BLOCK + i));
      const block: LedgerBlock = {
        number,
        headerHash,
        previousHash: prev,
        raftIndex: number + 1,
        isConfig: false,
        txIds,
        bytes: new Uint8Array(blockBytes).fill(number & 0xff),
      };
      await ledger.append(block);
      prev = headerHash;
    }
    const tracker = new TxTracker({ recentMax: 65_536, waitersMax: 1, ledgerLookup: (txId) => ledger.txLocation(txId)?.blockNumber });
    const fresh = Array.from({ length: txs }, (_, i) => txIdOf(10_000_000 + i));
    // New tx ids: miss everywhere (the common case), then committed in blocks of 500.
    let t0 = cpuMicros();
    for (let i = 0; i < txs; i += PER_BLOCK) {
      const batch = fresh.slice(i, i + PER_BLOCK);
      for (const txId of batch) if (tracker.claim(txId) !== undefined) throw new Error(`${txId} taken for a duplicate`);
      tracker.onCommitted(BLOCKS + i / PER_BLOCK, batch);
    }
    const freshUs = (cpuMicros() - t0) / txs;
    // A retry of a tx id the window has forgotten: found in the ledger's index.
    const old = Array.from({ length: 20_000 }, (_, i) => txIdOf((i * 7919) % (BLOCKS * PER_BLOCK)));
    t0 = cpuMicros();
    for (const txId of old) if (tracker.duplicateOf(txId) === undefined) throw new Error(`${txId} not found`);
    const ledgerHitUs = (cpuMicros() - t0) / old.length;
    // Without the check at all: the loop's own cost, for reference.
    t0 = cpuMicros();
    let sink = 0;
    for (const txId of fresh) sink += txId.length;
    const baseUs = (cpuMicros() - t0) / txs;
    if (sink === 0) throw new Error('unreachable');
    return {
      engine,
      'new tx id µs/tx (claim + commit)': freshUs.toFixed(2),
      'retry found in ledger µs': ledgerHitUs.toFixed(2),
      'loop alone µs': baseUs.toFixed(3),
    };
  } finally {
    await env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(describeMachine());
console.log(`duplicate check: ${txs} new tx ids over a ledger of ${BLOCKS * PER_BLOCK} tx ids in blocks of ${blockBytes} bytes, recent window 65536`);
for (const engine of ['native', 'native-free'] as const) console.log(await measure(engine));
