// What of a block crosses to a worker for signing: the header and metadata
// (what the signature covers), the data only when it is a single envelope
// (the writer must tell a config block), never the bulk of a block.

import { expect, it } from 'vitest';
import { signingStandIn } from '../../src/workers/blockTasks.js';

const header = { number: 4, previousHash: new Uint8Array(32), dataHash: new Uint8Array(32) };
const metadata = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(), Uint8Array.of(), Uint8Array.of()];

it('leaves out the data of a block of several envelopes', () => {
  const standIn = signingStandIn({ header, data: [Uint8Array.of(9), Uint8Array.of(8), Uint8Array.of(7)], metadata });
  expect(standIn.data).toEqual([]);
  expect(standIn.header).toBe(header);
  expect(standIn.metadata).toBe(metadata);
});

it('keeps the single envelope of a one-envelope block', () => {
  const only = Uint8Array.of(5, 6);
  expect(signingStandIn({ header, data: [only], metadata }).data).toEqual([only]);
});
