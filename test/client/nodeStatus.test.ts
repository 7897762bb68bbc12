// Reading a node's /status document: well-formed documents pass through,
// a bad field is refused with its name.

import { describe, expect, it } from 'vitest';
import { NodeStatusFormatError, parseNodeStatus } from '../../src/client/index.js';

const good = { nodeId: 2, channels: [{ channel: 'a', leaderId: 1, isLeader: false, height: 7, term: 3 }] };

describe('parseNodeStatus', () => {
  it('returns the node id and each channel view of a well-formed document', () => {
    expect(parseNodeStatus(good)).toEqual(good);
  });

  it('refuses a document whose fields are missing or of the wrong type, naming the field', () => {
    const channel = good.channels[0]!;
    const cases: Array<[unknown, RegExp]> = [
      [null, /the document is not an object/],
      [{ nodeId: 2 }, /channels is not an array/],
      [{ nodeId: -1, channels: [] }, /nodeId must be a non-negative integer, got -1/],
      [{ nodeId: 2, channels: [{ ...channel, leaderId: '1' }] }, /channels\[0\]\.leaderId must be a non-negative integer, got "1"/],
      [{ nodeId: 2, channels: [{ ...channel, isLeader: 1 }] }, /channels\[0\]\.isLeader is not a boolean/],
      [{ nodeId: 2, channels: [{ ...channel, height: 1.5 }] }, /channels\[0\]\.height must be a non-negative integer/],
      [{ nodeId: 2, channels: [{ ...channel, channel: 5 }] }, /channels\[0\]\.channel is not a string/],
    ];
    for (const [body, message] of cases) {
      expect(() => parseNodeStatus(body)).toThrow(NodeStatusFormatError);
      expect(() => parseNodeStatus(body)).toThrow(message);
    }
  });
});
