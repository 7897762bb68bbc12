// Verdicts of a verifyBatch task, packed for the trip back to the main thread.
//
// Why: a structured clone of an array of verdict objects costs the receiving
// thread a deserialization per object and per property (several µs per
// envelope on the main thread, the orderer's scarcest resource). Packed, a
// batch is two transferable typed arrays and one string; the main thread
// builds the verdict objects itself, which is several times cheaper.
//
// Layout, entry i of n:
//   numbers[4i]   = 1 accepted, or the rejection's Status (BAD_REQUEST | FORBIDDEN)
//   numbers[4i+1] = accepted: ChannelHeader.type;   rejected: 0
//   numbers[4i+2] = accepted: sizeBytes;             rejected: 0
//   numbers[4i+3] = accepted: creatorValidUntilMs;   rejected: 0
//   strings: per entry two strings (accepted: channelId, txId; rejected: code,
//   reason), their UTF-16 lengths in stringLengths[2i], stringLengths[2i+1].

import assert from 'node:assert/strict';
import type { EnvelopeVerdict, PackedVerdicts } from './protocol.js';

const ACCEPTED = 1;
/** Numbers per entry. */
const STRIDE = 4;

export function packVerdicts(verdicts: readonly EnvelopeVerdict[]): PackedVerdicts {
  const count = verdicts.length;
  const numbers = new Float64Array(count * STRIDE);
  const stringLengths = new Uint32Array(count * 2);
  const parts: string[] = new Array<string>(count * 2);
  for (let i = 0; i < count; i++) {
    const v = verdicts[i]!;
    const a = v.ok ? v.channelId : v.code;
    const b = v.ok ? v.txId : v.reason;
    numbers[STRIDE * i] = v.ok ? ACCEPTED : v.status;
    numbers[STRIDE * i + 1] = v.ok ? v.type : 0;
    numbers[STRIDE * i + 2] = v.ok ? v.sizeBytes : 0;
    numbers[STRIDE * i + 3] = v.ok ? v.creatorValidUntilMs : 0;
    parts[2 * i] = a;
    parts[2 * i + 1] = b;
    stringLengths[2 * i] = a.length;
    stringLengths[2 * i + 1] = b.length;
  }
  return { count, numbers, stringLengths, strings: parts.join('') };
}

/** The buffers a packed batch hands over (transfer, not clone). */
export function packedVerdictsTransferList(packed: PackedVerdicts): ArrayBuffer[] {
  return [packed.numbers.buffer as ArrayBuffer, packed.stringLengths.buffer as ArrayBuffer];
}

export function unpackVerdicts(packed: PackedVerdicts): EnvelopeVerdict[] {
  const { count, numbers, stringLengths, strings } = packed;
  assert.ok(numbers.length === count * STRIDE && stringLengths.length === count * 2, 'packed verdicts: array lengths do not match the count');
  const out = new Array<EnvelopeVerdict>(count);
  let at = 0;
  /** The last first-string read: a batch's accepted envelopes all name the same channel, so one string serves them all. */
  let lastA = '';
  for (let i = 0; i < count; i++) {
    const aEnd = at + stringLengths[2 * i]!;
    const bEnd = aEnd + stringLengths[2 * i + 1]!;
    const a = aEnd - at === lastA.length && strings.startsWith(lastA, at) ? lastA : strings.slice(at, aEnd);
    lastA = a;
    const b = strings.slice(aEnd, bEnd);
    at = bEnd;
    const head = numbers[STRIDE * i]!;
    out[i] =
      head === ACCEPTED
        ? {
            ok: true,
            channelId: a,
            txId: b,
            type: numbers[STRIDE * i + 1]!,
            sizeBytes: numbers[STRIDE * i + 2]!,
            creatorValidUntilMs: numbers[STRIDE * i + 3]!,
          }
        : { ok: false, status: head as Extract<EnvelopeVerdict, { ok: false }>['status'], code: a, reason: b };
  }
  assert.equal(at, strings.length, 'packed verdicts: string lengths do not cover the strings');
  return out;
}
