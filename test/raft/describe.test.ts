import { describe, expect, it } from 'vitest';
import { ConfChangeType, describeEntry, describeMessage, encodeConfChange, EntryType, goQuote, MessageType } from '../../src/raft/index.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('etcd text formats', () => {
  it("goQuote matches Go's %q for bytes", () => {
    expect(goQuote(new TextEncoder().encode('prop_1'))).toBe('"prop_1"');
    expect(goQuote(bytes())).toBe('""');
    expect(goQuote(new TextEncoder().encode('a"b\\c\n\t'))).toBe('"a\\"b\\\\c\\n\\t"');
    expect(goQuote(bytes(0x00, 0x7f, 0xff))).toBe('"\\x00\\x7f\\xff"');
    expect(goQuote(new TextEncoder().encode('héllo 世界'))).toBe('"héllo 世界"');
    expect(goQuote(bytes(0xe4, 0xb8))).toBe('"\\xe4\\xb8"'); // truncated UTF-8
  });

  it('describes entries, conf changes included', () => {
    expect(describeEntry({ term: 1, index: 3, type: EntryType.Normal, data: bytes() })).toBe('1/3 EntryNormal ""');
    const cc = encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 2 });
    expect(describeEntry({ term: 2, index: 9, type: EntryType.ConfChange, data: cc })).toBe('2/9 EntryConfChange r2');
  });

  it('describes messages with rejection, commit and multi-line entries', () => {
    const m = {
      type: MessageType.MsgApp,
      from: 1,
      to: 11,
      term: 2,
      logTerm: 1,
      index: 4,
      commit: 3,
      reject: false,
      rejectHint: 0,
      entries: [
        { term: 2, index: 5, type: EntryType.Normal, data: new TextEncoder().encode('a') },
        { term: 2, index: 6, type: EntryType.Normal, data: new TextEncoder().encode('b') },
      ],
    };
    expect(describeMessage(m)).toBe('1->b MsgApp Term:2 Log:1/4 Commit:3 Entries:[\n  2/5 EntryNormal "a"\n  2/6 EntryNormal "b"\n]');
    expect(describeMessage({ ...m, type: MessageType.MsgAppResp, entries: [], commit: 0, reject: true, rejectHint: 2 })).toBe(
      '1->b MsgAppResp Term:2 Log:1/4 Rejected (Hint: 2)',
    );
  });
});
