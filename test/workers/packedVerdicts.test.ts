// Verdicts packed in a worker come back on the main thread as the same verdicts, in order.

import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Status } from '../../src/block/index.js';
import { packVerdicts, unpackVerdicts } from '../../src/workers/packedVerdicts.js';
import type { EnvelopeVerdict } from '../../src/workers/protocol.js';

const accepted = fc.record({
  ok: fc.constant(true as const),
  channelId: fc.string(),
  txId: fc.string({ unit: 'binary' }),
  type: fc.integer({ min: 0, max: 0x7fffffff }),
  sizeBytes: fc.nat(),
  creatorValidUntilMs: fc.nat(),
});
const rejected = fc.record({
  ok: fc.constant(false as const),
  status: fc.constantFrom(Status.BAD_REQUEST as const, Status.FORBIDDEN as const),
  code: fc.string(),
  reason: fc.string({ unit: 'binary' }),
});

it('unpacks exactly the verdicts packed, accepted and rejected mixed, any strings', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(accepted, rejected), { maxLength: 300 }), (verdicts: EnvelopeVerdict[]) => {
      expect(unpackVerdicts(packVerdicts(verdicts))).toEqual(verdicts);
    }),
  );
});

it('unpacks the same verdicts when neighbours share (or nearly share) a channel id or code', () => {
  const few = fc.constantFrom('ch', 'ch2', 'c', 'hc', '', 'BAD_SIGNATURE');
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.tuple(accepted, few).map(([v, channelId]) => ({ ...v, channelId })),
          fc.tuple(rejected, few).map(([v, code]) => ({ ...v, code })),
        ),
        {
          maxLength: 50,
        },
      ),
      (verdicts: EnvelopeVerdict[]) => {
        expect(unpackVerdicts(packVerdicts(verdicts))).toEqual(verdicts);
      },
    ),
  );
});

it('refuses a packed batch whose lengths do not add up', () => {
  const packed = packVerdicts([{ ok: true, channelId: 'ch', txId: 'tx', type: 3, sizeBytes: 10, creatorValidUntilMs: 1_900_000_000_000 }]);
  expect(() => unpackVerdicts({ ...packed, strings: `${packed.strings}x` })).toThrow(/string lengths/);
  expect(() => unpackVerdicts({ ...packed, count: 2 })).toThrow(/array lengths/);
});
