// The on-disk shapes of stored records (tuples, see tupleCodec.ts: compact and versionable
// by position), shared by both engines, with decoders that check every field:
// a record that decodes to the wrong shape is corruption, not a crash later.

import { EntryType, type ConfState, type Entry, type HardState, type Snapshot } from '../raft/index.js';
import type { RecoveredLedger } from './backend.js';
import type { LedgerBlock, LogStart, RaftIdRecord } from './walOps.js';

/** A decoded record has the wrong shape; the engine wraps it into a StorageCorruptError naming the record. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

function nat(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ShapeError(`${what} is not a non-negative integer`);
  return v;
}
function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ShapeError(`${what} is not an integer`);
  return v;
}
function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new ShapeError(`${what} is not bytes`);
  return v;
}
function tuple(v: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length) throw new ShapeError(`${what} is not a ${length}-tuple`);
  return v;
}
function nats(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new ShapeError(`${what} is not a list`);
  return v.map((x, i) => nat(x, `${what}[${i}]`));
}

export function entryToWire(e: Entry): unknown {
  return [e.term, e.type, e.data];
}
/** LMDB: an entry whose data is stored apart (lmdbEntryBodies.ts); `true` stands where the data would be. */
export function entryApartToWire(e: Entry): unknown {
  return [e.term, e.type, true];
}
/** `body` reads the data of an entry stored apart (LMDB only; the native-free engine never writes one). */
export function entryFromWire(v: unknown, index: number, body?: () => Uint8Array): Entry {
  const [term, type, data] = tuple(v, 3, 'entry');
  const t = nat(type, 'entry type');
  if (t !== EntryType.Normal && t !== EntryType.ConfChange && t !== EntryType.ConfChangeV2) throw new ShapeError(`entry type ${t} is unknown`);
  if (data === true) {
    if (body === undefined) throw new ShapeError('entry data is stored apart, where this engine keeps none');
    return { index, term: nat(term, 'entry term'), type: t, data: body() };
  }
  return { index, term: nat(term, 'entry term'), type: t, data: bytes(data, 'entry data') };
}

export function hardStateToWire(hs: HardState): unknown {
  return [hs.term, hs.vote, hs.commit];
}
export function hardStateFromWire(v: unknown): HardState {
  const [term, vote, commit] = tuple(v, 3, 'hard state');
  return { term: nat(term, 'term'), vote: nat(vote, 'vote'), commit: nat(commit, 'commit') };
}

export function confStateToWire(cs: ConfState): unknown {
  return [cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext, cs.autoLeave];
}
export function confStateFromWire(v: unknown): ConfState {
  const [voters, learners, out, next, autoLeave] = tuple(v, 5, 'conf state');
  if (typeof autoLeave !== 'boolean') throw new ShapeError('conf state autoLeave is not a boolean');
  return {
    voters: nats(voters, 'voters'),
    learners: nats(learners, 'learners'),
    votersOutgoing: nats(out, 'votersOutgoing'),
    learnersNext: nats(next, 'learnersNext'),
    autoLeave,
  };
}

export function snapshotToWire(s: Snapshot): unknown {
  return [s.metadata.index, s.metadata.term, confStateToWire(s.metadata.confState), s.data];
}
export function snapshotFromWire(v: unknown): Snapshot {
  const [index, term, cs, data] = tuple(v, 4, 'snapshot');
  return {
    data: bytes(data, 'snapshot data'),
    metadata: { index: nat(index, 'snapshot index'), term: nat(term, 'snapshot term'), confState: confStateFromWire(cs) },
  };
}

export function logStartToWire(s: LogStart): unknown {
  return [s.index, s.term];
}
export function logStartFromWire(v: unknown): LogStart {
  const [index, term] = tuple(v, 2, 'log start');
  return { index: nat(index, 'log start index'), term: nat(term, 'log start term') };
}

export function raftIdToWire(r: RaftIdRecord): unknown {
  return [r.raftId, r.configBlock];
}
export function raftIdFromWire(v: unknown): RaftIdRecord {
  const [raftId, configBlock] = tuple(v, 2, 'raft id record');
  const id = nat(raftId, 'raft id');
  if (id === 0) throw new ShapeError('raft id is 0');
  return { raftId: id, configBlock: bytes(configBlock, 'raft id config block') };
}

/** A block's fields without its bytes (the native-free engine stores the bytes apart). */
export function blockHeadToWire(b: LedgerBlock): unknown {
  return [b.number, b.headerHash, b.previousHash, b.raftIndex, b.isConfig, b.txIds];
}
export function blockFromWire(v: unknown, blockBytes: Uint8Array): LedgerBlock {
  const [number, headerHash, previousHash, raftIndex, isConfig, txIds] = tuple(v, 6, 'block');
  if (typeof isConfig !== 'boolean') throw new ShapeError('block isConfig is not a boolean');
  if (!Array.isArray(txIds) || !txIds.every((t) => typeof t === 'string')) throw new ShapeError('block txIds is not a list of strings');
  return {
    number: nat(number, 'block number'),
    headerHash: bytes(headerHash, 'block header hash'),
    previousHash: bytes(previousHash, 'block previous hash'),
    raftIndex: nat(raftIndex, 'block raft index'),
    isConfig,
    txIds: txIds as string[],
    bytes: blockBytes,
  };
}

export function ledgerSummaryToWire(l: RecoveredLedger): unknown {
  return [l.height, l.lastHeaderHash, l.lastConfig, l.lastRaftIndex];
}
export function ledgerSummaryFromWire(v: unknown): RecoveredLedger {
  const [height, lastHeaderHash, lastConfig, lastRaftIndex] = tuple(v, 4, 'ledger summary');
  return {
    height: nat(height, 'height'),
    lastHeaderHash: bytes(lastHeaderHash, 'last header hash'),
    lastConfig: int(lastConfig, 'last config'),
    lastRaftIndex: nat(lastRaftIndex, 'last raft index'),
  };
}
