// Text forms of the Raft model, identical to etcd's (util.go), so that the
// interaction tests compare byte for byte and logs read like etcd's.
import { decodeConfChange } from './confChangeCodec.js';
import { describeSoftState, type Ready } from './state.js';
import { ConfChangeType, EntryType, MessageType, type ConfChange, type ConfState, type Entry, type HardState, type Message, type Snapshot } from './types.js';

export type EntryFormatter = (data: Uint8Array) => string;

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term}${hs.vote !== 0 ? ` Vote:${hs.vote}` : ''} Commit:${hs.commit}`;
}

const goList = (ids: readonly number[]): string => `[${ids.join(' ')}]`;

export function describeConfState(cs: ConfState): string {
  return `Voters:${goList(cs.voters)} VotersOutgoing:${goList(cs.votersOutgoing)} Learners:${goList(cs.learners)} LearnersNext:${goList(cs.learnersNext)} AutoLeave:${cs.autoLeave}`;
}

export function describeSnapshot(s: Snapshot): string {
  const m = s.metadata;
  return `Index:${m.index} Term:${m.term} ConfState:${describeConfState(m.confState)}`;
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export function isEmptyHardState(hs: HardState | undefined): boolean {
  return hs === undefined || (hs.term === 0 && hs.vote === 0 && hs.commit === 0);
}

/** "v2", "r1", "l3", "u4": etcd's compact form of a change. */
export function describeConfChangeShort(cc: ConfChange): string {
  const letter: Record<ConfChangeType, string> = {
    [ConfChangeType.AddNode]: 'v',
    [ConfChangeType.RemoveNode]: 'r',
    [ConfChangeType.UpdateNode]: 'u',
    [ConfChangeType.AddLearnerNode]: 'l',
  };
  return `${letter[cc.type] ?? 'unknown'}${cc.nodeId}`;
}

export function describeEntry(e: Entry, f: EntryFormatter = goQuote): string {
  let formatted: string;
  switch (e.type) {
    case EntryType.Normal:
      formatted = f(e.data);
      break;
    case EntryType.ConfChange:
    case EntryType.ConfChangeV2:
      try {
        formatted = describeConfChangeShort(decodeConfChange(e.data));
      } catch (err) {
        formatted = (err as Error).message;
      }
      break;
    default:
      formatted = `unknown entry type ${String(e.type)}`;
  }
  return `${e.term}/${e.index} Entry${EntryType[e.type]}${formatted !== '' ? ` ${formatted}` : ''}`;
}

export function describeEntries(ents: readonly Entry[], f?: EntryFormatter): string {
  return ents.map((e) => `${describeEntry(e, f)}\n`).join('');
}

function describeTarget(id: number): string {
  return id === 0 ? 'None' : id.toString(16);
}

export function describeMessage(m: Message, f?: EntryFormatter): string {
  let s = `${describeTarget(m.from)}->${describeTarget(m.to)} ${MessageType[m.type]} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length === 1) {
    s += ` Entries:[${describeEntry(m.entries[0]!, f)}]`;
  } else if (m.entries.length > 1) {
    s += ' Entries:[';
    for (const e of m.entries) s += `\n  ${describeEntry(e, f)}`;
    s += '\n]';
  }
  if (m.snapshot && !isEmptySnapshot(m.snapshot)) s += `\n  Snapshot: ${describeSnapshot(m.snapshot)}`;
  return s;
}

/** Go's %q of a byte slice: printable UTF-8 kept, the rest escaped. */
export function goQuote(data: Uint8Array): string {
  let out = '"';
  let i = 0;
  while (i < data.length) {
    const b = data[i]!;
    if (b < 0x80) {
      out += quoteAscii(b);
      i++;
      continue;
    }
    const rune = decodeRune(data, i);
    if (rune && isPrintable(rune.cp)) {
      out += String.fromCodePoint(rune.cp);
      i += rune.length;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return `${out}"`;
}

function quoteAscii(b: number): string {
  switch (b) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
  }
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

function decodeRune(data: Uint8Array, i: number): { cp: number; length: number } | undefined {
  const b = data[i]!;
  const length = b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
  if (length === 0 || i + length > data.length) return undefined;
  let cp = b & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const c = data[i + k]!;
    if ((c & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (c & 0x3f);
  }
  const min = [0, 0, 0x80, 0x800, 0x10000][length]!;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return { cp, length };
}

function isPrintable(cp: number): boolean {
  // Approximation of Go's unicode.IsPrint: no controls, no separators but space.
  return !(cp < 0xa0 || (cp >= 0x2028 && cp <= 0x2029) || cp === 0xad || cp === 0xfeff);
}

/** etcd's DescribeReady: what a Ready holds, one part per line; "<empty Ready>" if nothing. */
export function describeReady(rd: Ready): string {
  let buf = '';
  if (rd.softState) buf += `${describeSoftState(rd.softState)}\n`;
  if (!isEmptyHardState(rd.hardState)) buf += `HardState ${describeHardState(rd.hardState!)}\n`;
  if (rd.entries.length > 0) buf += `Entries:\n${describeEntries(rd.entries)}`;
  if (!isEmptySnapshot(rd.snapshot)) buf += `Snapshot ${describeSnapshot(rd.snapshot!)}\n`;
  if (rd.committedEntries.length > 0) buf += `CommittedEntries:\n${describeEntries(rd.committedEntries)}`;
  if (rd.messages.length > 0) buf += `Messages:\n${rd.messages.map((m) => `${describeMessage(m)}\n`).join('')}`;
  return buf.length > 0 ? `Ready MustSync=${rd.mustSync}:\n${buf}` : '<empty Ready>';
}
