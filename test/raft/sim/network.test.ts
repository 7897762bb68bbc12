import { describe, expect, it } from 'vitest';
import { MessageType, type Message } from '../../../src/raft/types.js';
import { Network } from './network.js';
import { Prng } from './prng.js';

function msg(from: number, to: number, index: number): Message {
  return { type: MessageType.MsgApp, from, to, term: 1, logTerm: 1, index, entries: [], commit: 0, reject: false, rejectHint: 0 };
}

/** Sends `count` messages 1->2 in round 0 and collects deliveries over enough rounds. */
function sendAndDrain(net: Network, count: number, rounds: number): { delivered: Message[]; lostReasons: string[] } {
  const delivered: Message[] = [];
  const lostReasons: string[] = [];
  for (let i = 0; i < count; i++) for (const l of net.send(msg(1, 2, i), 0)) lostReasons.push(l.reason);
  for (let r = 1; r <= rounds; r++) {
    const due = net.takeDue(r);
    delivered.push(...due.delivered);
    for (const l of due.lost) lostReasons.push(l.reason);
  }
  return { delivered, lostReasons };
}

describe('Network', () => {
  it('delivers every message exactly once within the delay bound on healthy links', () => {
    const net = new Network(new Prng(1), 1_000);
    net.setFaults({ dropRate: 0, duplicateRate: 0, delayRoundsMax: 5 });
    const { delivered, lostReasons } = sendAndDrain(net, 200, 5);
    expect(lostReasons).toEqual([]);
    expect(delivered.map((m) => m.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(net.inFlightCount).toBe(0);
  });

  it('reorders messages when delays vary', () => {
    const net = new Network(new Prng(2), 1_000);
    net.setFaults({ dropRate: 0, duplicateRate: 0, delayRoundsMax: 5 });
    const order = sendAndDrain(net, 50, 5).delivered.map((m) => m.index);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
  });

  it('keeps send order among messages with equal delay', () => {
    const net = new Network(new Prng(3), 1_000);
    net.setFaults({ dropRate: 0, duplicateRate: 0, delayRoundsMax: 1 });
    expect(sendAndDrain(net, 20, 1).delivered.map((m) => m.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('drops everything at dropRate 1 and duplicates everything at duplicateRate 1', () => {
    const dropping = new Network(new Prng(4), 1_000);
    dropping.setFaults({ dropRate: 1, duplicateRate: 0, delayRoundsMax: 1 });
    const dropped = sendAndDrain(dropping, 10, 2);
    expect(dropped.delivered).toEqual([]);
    expect(dropped.lostReasons).toEqual(Array(10).fill('dropped'));

    const doubling = new Network(new Prng(5), 1_000);
    doubling.setFaults({ dropRate: 0, duplicateRate: 1, delayRoundsMax: 3 });
    const doubled = sendAndDrain(doubling, 10, 3)
      .delivered.map((m) => m.index)
      .sort((a, b) => a - b);
    expect(doubled).toEqual(Array.from({ length: 10 }, (_, i) => [i, i]).flat());
  });

  it('loses messages on a cut link, at send and in flight, one direction only', () => {
    const net = new Network(new Prng(6), 1_000);
    net.setFaults({ dropRate: 0, duplicateRate: 0, delayRoundsMax: 2 });
    net.send(msg(1, 2, 0), 0);
    net.cutLink(1, 2);
    expect(net.send(msg(1, 2, 1), 0).map((l) => l.reason)).toEqual(['link-cut']);
    expect(net.send(msg(2, 1, 2), 0)).toEqual([]);
    const due = [net.takeDue(1), net.takeDue(2)];
    expect(due.flatMap((d) => d.lost.map((l) => l.message.index))).toEqual([0]);
    expect(due.flatMap((d) => d.delivered.map((m) => m.index))).toEqual([2]);
    net.heal();
    expect(net.isLinkUp(1, 2)).toBe(true);
  });

  it('cuts both directions between partition groups and none within a group', () => {
    const net = new Network(new Prng(7), 1_000);
    net.partition([[1, 2], [3]]);
    expect(net.isLinkUp(1, 2) && net.isLinkUp(2, 1)).toBe(true);
    expect([net.isLinkUp(1, 3), net.isLinkUp(3, 1), net.isLinkUp(2, 3), net.isLinkUp(3, 2)]).toEqual([false, false, false, false]);
  });

  it('bounds the messages in flight', () => {
    const net = new Network(new Prng(8), 5);
    net.setFaults({ dropRate: 0, duplicateRate: 0, delayRoundsMax: 1 });
    const { delivered, lostReasons } = sendAndDrain(net, 8, 1);
    expect(delivered).toHaveLength(5);
    expect(lostReasons).toEqual(Array(3).fill('queue-full'));
  });
});
