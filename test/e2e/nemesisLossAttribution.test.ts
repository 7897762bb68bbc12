// The nemesis checker's attribution of a lost accepted-mode acknowledgement
// to a leader crash (scripts/nemesis/lossAttribution.ts): a crash of the
// channel's leader between the send and shortly after the acknowledgement
// explains it, also when a forwarding follower relayed the answer after the
// leader died; a crash of another channel's leader, of a node that was not
// leading, before the send, or long after the acknowledgement does not, and
// a node that answered directly cannot have died long before its answer.
// A leader halted by a full disk lost what it accepted from the fill to the
// halt (diskFault.ts diskCrash), the halt often seconds after the fill.
// A leader cut off from the others holds what it accepted until its heal,
// then hands it to the new leader, whose crash after that may lose it.

import { describe, expect, it } from 'vitest';
import { diskCrash, type Halt } from '../../scripts/nemesis/diskFault.js';
import type { CrashEvent } from '../../scripts/nemesis/faults.js';
import { crashThatLost, DELIVERY_SLACK_MS, LOSS_WINDOW_MS, type AcceptedAck, type CutOffLeader } from '../../scripts/nemesis/lossAttribution.js';

const crash = (atMs: number, node: number, ledChannels: readonly string[] = ['ch']): CrashEvent => ({ atMs, node, ledChannels });
/** Sent at 10 s to node 2 (a follower that forwards to the leader), acknowledged 0.5 s later. */
const forwarded: AcceptedAck = { channel: 'ch', sentAtMs: 10_000, atMs: 10_500, node: 2 };
/** Sent at 10 s to node 1 (the leader itself), acknowledged 0.5 s later. */
const direct: AcceptedAck = { ...forwarded, node: 1 };

describe('lost accepted-mode acknowledgement attribution', () => {
  it('a crash of the leader shortly after the acknowledgement explains it', () => {
    expect(crashThatLost(direct, [crash(10_600, 1)])).toEqual(crash(10_600, 1));
    expect(crashThatLost(forwarded, [crash(10_500 + LOSS_WINDOW_MS, 1)])).toBeDefined();
  });

  it('a forwarded envelope acknowledged after its leader was killed is explained by that kill', () => {
    // The leader took it at about 10.1 s and died at 10.2 s; the follower relayed its answer 0.3 s later.
    expect(crashThatLost(forwarded, [crash(10_200, 1)])).toEqual(crash(10_200, 1));
  });

  it('a node that answered directly cannot have lost it in a crash well before its answer arrived', () => {
    expect(crashThatLost(direct, [crash(10_500 - DELIVERY_SLACK_MS - 1, 1)])).toBeUndefined();
    expect(crashThatLost(direct, [crash(10_500 - DELIVERY_SLACK_MS, 1)])).toBeDefined();
  });

  it('a crash before the envelope was sent does not explain it', () => {
    expect(crashThatLost(forwarded, [crash(9_999, 1)])).toBeUndefined();
  });

  it('a crash long after the acknowledgement does not explain it', () => {
    expect(crashThatLost(forwarded, [crash(10_500 + LOSS_WINDOW_MS + 1, 1)])).toBeUndefined();
  });

  it('a crash of a node not leading the channel does not explain it', () => {
    expect(crashThatLost(forwarded, [crash(10_200, 1, ['other'])])).toBeUndefined();
    expect(crashThatLost(forwarded, [crash(10_200, 3, [])])).toBeUndefined();
  });

  it('no crash at all leaves it unexplained', () => {
    expect(crashThatLost(forwarded, [])).toBeUndefined();
  });
});

describe('lost accepted-mode acknowledgement attribution, full disk', () => {
  /** Run clock = wall clock - this. */
  const wallToRun = 1_000_000;
  const halt = (channel: string, runMs: number): Halt => ({ channel, timeMs: runMs + wallToRun, message: `channel "${channel}" halted: ENOSPC` });
  /** The disk of node 3, leading ch, filled at 8 s; ch halted at 18 s. */
  const fullDisk = diskCrash(3, ['ch'], [halt('ch', 18_000)], 8_000, wallToRun);

  it('a full disk of a leader whose channel halted is a crash from the fill to the halt', () => {
    expect(fullDisk).toEqual({ sinceMs: 8_000, atMs: 18_000, node: 3, ledChannels: ['ch'] });
  });

  it('an envelope its leader accepted after the disk filled, well before the halt, is explained by it', () => {
    // Forwarded by node 2 at 10 s, acknowledged at 10.5 s: more than the loss window before the halt.
    expect(crashThatLost(forwarded, [fullDisk!])).toEqual(fullDisk);
    expect(crashThatLost({ ...forwarded, node: 3 }, [fullDisk!])).toEqual(fullDisk);
  });

  it('an envelope acknowledged up to the loss window before the fill is explained, earlier ones are not', () => {
    const early = (atMs: number): AcceptedAck => ({ ...forwarded, sentAtMs: atMs - 500, atMs });
    expect(crashThatLost(early(8_000 - LOSS_WINDOW_MS), [fullDisk!])).toBeDefined();
    expect(crashThatLost(early(8_000 - LOSS_WINDOW_MS - 1), [fullDisk!])).toBeUndefined();
  });

  it('a node whose process exited on the full disk lost every channel it led, halted or not', () => {
    const exited = diskCrash(3, ['ch', 'other'], [halt('other', 9_000)], 8_000, wallToRun, 11_000);
    expect(exited).toEqual({ sinceMs: 8_000, atMs: 11_000, node: 3, ledChannels: ['ch', 'other'] });
    expect(crashThatLost(forwarded, [exited!])).toEqual(exited);
    expect(diskCrash(3, [], [], 8_000, wallToRun, 11_000)).toBeUndefined();
  });

  it('the halted leader answering directly may answer after the halt: it lives on', () => {
    // Sent to node 3 at 17.4 s, taken before the halt at 18 s, its answer delivered at 18.5 s.
    expect(crashThatLost({ channel: 'ch', sentAtMs: 17_400, atMs: 18_500, node: 3 }, [fullDisk!])).toEqual(fullDisk);
  });

  it('a channel that halted after another of the same node took envelopes until its own halt', () => {
    // Node 3 led both; 'other' halted at 17.95 s, 'ch' at 18 s; sent at 17.97 s through node 2, answered at once.
    const both = diskCrash(3, ['other', 'ch'], [halt('other', 17_950), halt('ch', 18_000)], 8_000, wallToRun);
    expect(crashThatLost({ channel: 'ch', sentAtMs: 17_970, atMs: 17_972, node: 2 }, [both!])).toEqual(both);
  });

  it('an envelope sent after the halt is not explained by it', () => {
    expect(crashThatLost({ ...forwarded, sentAtMs: 18_001, atMs: 18_300 }, [fullDisk!])).toBeUndefined();
  });

  it('a full disk is no crash of a channel the node did not lead, nor of one that did not halt', () => {
    expect(diskCrash(3, [], [halt('ch', 18_000)], 8_000, wallToRun)).toBeUndefined();
    expect(diskCrash(3, ['ch'], [halt('other', 18_000)], 8_000, wallToRun)).toBeUndefined();
    expect(diskCrash(3, ['ch', 'other'], [halt('other', 9_000), halt('ch', 18_000)], 8_000, wallToRun)).toEqual({
      sinceMs: 8_000,
      atMs: 18_000,
      node: 3,
      ledChannels: ['other', 'ch'],
    });
  });
});

describe('lost accepted-mode acknowledgement attribution, a leader cut off', () => {
  // Node 3 led ch and was partitioned from all at 10.2 s for 3.3 s; it had acknowledged the
  // envelope directly at 10.3 s, stepped down, heard the new leader (node 1) after the heal and
  // handed its accepted envelopes over; node 1 was killed 150 ms after taking them, at 14.5 s.
  const cut: CutOffLeader = { startedMs: 10_200, healedMs: 13_500, ledChannels: ['ch'] };
  const heldAck: AcceptedAck = { channel: 'ch', sentAtMs: 10_290, atMs: 10_300, node: 3 };
  const newLeaderKilled = crash(14_500, 1);

  it('a crash of the next leader after the heal explains what the cut-off leader had accepted', () => {
    expect(crashThatLost(heldAck, [newLeaderKilled], [cut])).toEqual(newLeaderKilled);
    expect(crashThatLost(heldAck, [crash(13_500 + LOSS_WINDOW_MS, 1)], [cut])).toBeDefined();
  });

  it('without the cut-off, the same crash is past the loss window and explains nothing', () => {
    expect(crashThatLost(heldAck, [newLeaderKilled])).toBeUndefined();
  });

  it('a crash later than the loss window after the heal does not explain it', () => {
    expect(crashThatLost(heldAck, [crash(13_500 + LOSS_WINDOW_MS + 1, 1)], [cut])).toBeUndefined();
  });

  it('a cut-off leader of another channel, or one cut off after the envelope was ordered or before it was sent, extends nothing', () => {
    expect(crashThatLost(heldAck, [newLeaderKilled], [{ ...cut, ledChannels: ['other'] }])).toBeUndefined();
    expect(crashThatLost(heldAck, [newLeaderKilled], [{ ...cut, startedMs: 10_300 + LOSS_WINDOW_MS + 1, healedMs: 14_000 }])).toBeUndefined();
    expect(crashThatLost({ ...heldAck, sentAtMs: 13_600, atMs: 13_610 }, [crash(17_000, 1)], [cut])).toBeUndefined();
  });
});
