// CPU a follower spends per committed transaction on its replication path,
// without the network: one real Chain (storage, Ready loop, block applier,
// block signing) as a follower, fed by this process acting as its leader —
// Raft MsgApp messages, each carrying one block of 500 envelopes of 1 KiB,
// handed to the chain's transport handler as the cluster transport would,
// with the commit index moving along. Measured with process.cpuUsage (every
// thread of this process: the main thread, GC helpers, the storage engine's
// threads), so other load on the machine inflates it only a little: the
// figure to compare between builds on a shared machine, where the cluster
// benchmark's per-role figures swing with the machine's load.
//
// What it leaves out: TLS, HTTP/2 and gRPC receiving the entries, and the
// frame decoding (npm run bench:transport, bench:frames); Deliver.
//
//   npm run bench:follower [-- --blocks 300 --engine native|native-free --entry carried|bare]
//
// Next to the CPU it prints the bytes the process wrote per block (from
// /proc/self/io, in units of the entry's size): about 1 when a block is
// written once per node, about 2 when the ledger writes it again.
//
// --entry bare feeds entries without carried tx ids (a marshaled block, as
// leaders before tx ids were carried wrote them): the follower reads the ids
// from the envelopes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import * as blockLayer from '../src/block/index.js';
import { BlockCreator, createGenesisBlock, createSignedEnvelope, decodeBlock, encodeBlock, encodeSerializedIdentity, HeaderType } from '../src/block/index.js';
import { Chain, InThreadCompute, type ChainClock } from '../src/chain/index.js';
import type { ClusterChannelHandler, ClusterTransport } from '../src/cluster/index.js';
import { intFlag, parseFlags } from '../src/cli/index.js';
import { createCryptoProvider, DevOrganization } from '../src/crypto/index.js';
import { EntryType, MessageType, type Message } from '../src/raft/index.js';
import { openWalEnvironment, type EngineName } from '../src/storage/index.js';
import { describeMachine } from './lib/machine.js';

const CHANNEL = 'follower-bench';
const PER_BLOCK = 500;
const ENVELOPE_BYTES = 1024;
/** Blocks sent ahead of the last one written (a leader pipelines several). */
const AHEAD = 5;

/** Timers that never fire: no ticks, so this follower never campaigns and its leader is whoever writes to it. */
const stillClock: ChainClock = {
  now: () => performance.now(),
  every: () => ({ cancel: () => undefined }),
  after: () => ({ cancel: () => undefined }),
};

/** The follower's side of the cluster: its handler is called by this process (the leader); what it sends is counted. */
class LeaderStandIn implements ClusterTransport {
  readonly selfId = 1;
  handler: ClusterChannelHandler | undefined;
  sent = 0;
  sendConsensus(_channel: string, _to: number, message: Message): void {
    if (message.reject) throw new Error(`the follower rejected an append at index ${message.index}`);
    this.sent++;
  }
  forwardSubmit(): Promise<void> {
    return Promise.reject(new Error('no submits in this bench'));
  }
  setHandler(_channel: string, handler: ClusterChannelHandler | undefined): void {
    this.handler = handler;
  }
  isReachable(): boolean {
    return true;
  }
  onUnreachable(): void {}
  updatePeers(): void {}
  async close(): Promise<void> {}
}

/**
 * Bytes this process handed to write calls so far (Linux /proc/self/io
 * wchar: the storage engine's page and segment writes, every thread), or
 * undefined where there is no /proc. Independent of the machine's load: it
 * shows how many times a block is written.
 */
function bytesWritten(): number | undefined {
  try {
    const m = /^wchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Entry data for a block: its tx ids carried ahead of it, or the bare block (builds without encodeBlockEntry have only that). */
function entryEncoder(kind: 'carried' | 'bare'): (block: blockLayer.Block, txIds: readonly string[]) => Uint8Array {
  const encodeBlockEntry = (blockLayer as unknown as { encodeBlockEntry?: (b: blockLayer.Block, ids: readonly string[]) => Uint8Array }).encodeBlockEntry;
  if (kind === 'carried') {
    if (encodeBlockEntry === undefined)
      throw new Error('--entry carried: this build has no encodeBlockEntry (tx ids are not carried in entries); use --entry bare');
    return encodeBlockEntry;
  }
  return (block) => encodeBlock(block);
}

async function run(engine: EngineName, blocks: number, entryKind: 'carried' | 'bare') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-follower-'));
  const logger = pino({ level: 'silent' });
  const env = openWalEnvironment({ dir, engine, logger });
  const provider = createCryptoProvider('native');
  const hasher = provider.hasher('sha256');
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
  const orderer = org.issueMember('orderer1');
  const identity = { signer: orderer.signer, serializedIdentity: encodeSerializedIdentity({ mspid: orderer.mspId, idBytes: orderer.idBytes }) };
  const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new TextEncoder().encode('bench config') });
  const genesis = createGenesisBlock(hasher, config);
  const storage = env.channel(CHANNEL);
  const transport = new LeaderStandIn();
  const chain = new Chain(
    {
      channelId: CHANNEL,
      selfId: 1,
      consenters: [1, 2, 3],
      tickIntervalMs: 100,
      electionTick: 10,
      heartbeatTick: 1,
      batchTimeoutMs: 2000,
      batchSize: { maxMessageCount: PER_BLOCK, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      hashAlgorithm: 'sha256',
      signatureAlgorithm: 'ecdsa-p256',
      engine,
      organizations: [org.config],
      genesisBlock: encodeBlock(genesis),
    },
    { storage, transport, compute: new InThreadCompute(identity), logger, metrics: new Registry(), clock: stillClock },
  );
  await chain.start();
  const handler = transport.handler!;
  const encode = entryEncoder(entryKind);
  // Blocks made ahead, so making them is not measured: unsigned envelopes (a follower checks no signature), each with its own tx id.
  const creator = new BlockCreator(hasher, decodeBlock(encodeBlock(genesis)).header);
  const payload = new Uint8Array(ENVELOPE_BYTES - 180).fill(7);
  let seq = 0;
  const entries: Uint8Array[] = [];
  for (let b = 0; b < blocks; b++) {
    const txIds: string[] = [];
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < PER_BLOCK; i++) {
      const txId = (++seq).toString(16).padStart(64, '0');
      txIds.push(txId);
      envelopes.push(createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, txId, data: payload }));
    }
    entries.push(encode(creator.createNextBlock(envelopes), txIds));
  }
  const term = 2;
  let lastIndex = storage.raft.lastIndex();
  let lastTerm = storage.raft.term(lastIndex);
  const firstIndex = lastIndex + 1;
  const send = (b: number): void => {
    const index = firstIndex + b;
    const entries_ = [{ term, index, type: EntryType.Normal, data: entries[b]! }];
    handler.onConsensus(2, {
      type: MessageType.MsgApp,
      to: 1,
      from: 2,
      term,
      logTerm: lastTerm,
      index: lastIndex,
      entries: entries_,
      commit: index,
      reject: false,
      rejectHint: 0,
    } as Message);
    lastIndex = index;
    lastTerm = term;
  };
  const warmup = Math.min(20, Math.floor(blocks / 5));
  let sentBlocks = 0;
  let cpuStart = 0;
  let wallStart = 0;
  let writtenStart: number | undefined;
  for (let written = 0; written < blocks; written++) {
    while (sentBlocks < blocks && sentBlocks < written + AHEAD) send(sentBlocks++);
    await storage.ledger.waitForBlock(written + 1);
    if (written + 1 === warmup) {
      cpuStart = cpuMicros();
      wallStart = performance.now();
      writtenStart = bytesWritten();
    }
  }
  const cpuUs = cpuMicros() - cpuStart;
  const wallMs = performance.now() - wallStart;
  const writtenEnd = bytesWritten();
  const written = writtenStart === undefined || writtenEnd === undefined ? undefined : writtenEnd - writtenStart;
  const txs = (blocks - warmup) * PER_BLOCK;
  await chain.close();
  await env.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const entryBytes = entries.reduce((sum, e) => sum + e.length, 0) / entries.length;
  const writtenPerBlock = written === undefined ? undefined : written / (blocks - warmup) / entryBytes;
  return { cpuPerTxUs: cpuUs / txs, txPerSec: txs / (wallMs / 1000), txs, writtenPerBlock };
}

const flags = parseFlags('bench:follower', process.argv.slice(2), {
  blocks: { type: 'string' },
  engine: { type: 'string' },
  entry: { type: 'string' },
});
const blocks = intFlag(flags, 'blocks', 300, 10, 100_000);
const engines = (flags.engine === undefined ? ['native', 'native-free'] : [String(flags.engine)]) as EngineName[];
const entryKinds = (flags.entry === undefined ? ['carried', 'bare'] : [String(flags.entry)]) as ('carried' | 'bare')[];
console.log(
  `bench:follower — one follower chain fed ${blocks} blocks of ${PER_BLOCK} x ${ENVELOPE_BYTES} B envelopes by this process, on ${describeMachine()}`,
);
for (const engine of engines) {
  for (const entry of entryKinds) {
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(engine, blocks, entry);
    } catch (error) {
      console.log(`  ${engine.padEnd(11)} entries ${entry.padEnd(7)} not run: ${(error as Error).message}`);
      continue;
    }
    console.log(
      `  ${engine.padEnd(11)} entries ${entry.padEnd(7)} ${r.cpuPerTxUs.toFixed(2).padStart(6)} µs CPU per committed tx (all threads), ${r.txPerSec.toFixed(0)} tx/s over ${r.txs} tx, ` +
        `bytes written per block ${r.writtenPerBlock === undefined ? 'n/a (no /proc/self/io)' : `${r.writtenPerBlock.toFixed(2)} x its entry`}`,
    );
  }
}
process.exit(0);
