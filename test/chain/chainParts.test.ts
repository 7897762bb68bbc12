// The small state holders chain.ts composes: the lifecycle's transitions and
// refusal reasons, and the fresh channel's campaign retries.

import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../src/chain/errors.js';
import { FreshCampaign } from '../../src/chain/order/freshCampaign.js';
import { ChainLifecycle, Lifecycle } from '../../src/chain/lifecycle.js';

describe('chain lifecycle', () => {
  it('runs Created → Starting → Running → Halted → Closed, refusing envelopes with a reason in every state but Running', () => {
    const life = new ChainLifecycle('ch1');
    expect(life.unavailableReason()).toBe('channel "ch1" is not running');
    life.beginStart();
    expect(life.starting).toBe(true);
    life.started();
    expect([life.state, life.running, life.unavailableReason()]).toEqual([Lifecycle.Running, true, undefined]);
    expect(life.halt()).toBe(true);
    expect(life.halt()).toBe(false);
    expect(life.unavailableReason()).toBe('channel "ch1" is halted (see the orderer log)');
    expect(life.close()).toBe(true);
    expect([life.closed, life.running, life.halt()]).toEqual([true, false, false]);
  });

  it('starts once, returns to Created after a failed start, and a close during the start wins', () => {
    const life = new ChainLifecycle('ch1');
    life.beginStart();
    expect(() => life.beginStart()).toThrow(ServiceUnavailableError);
    life.startFailed();
    expect(life.state).toBe(Lifecycle.Created);
    life.beginStart();
    expect(life.close()).toBe(false); // never came alive: nothing of it to stop
    life.startFailed();
    expect([life.state, life.starting]).toEqual([Lifecycle.Closed, false]);
    expect(() => life.started()).toThrow(/a chain runs only after starting/);
  });
});

describe('fresh campaign', () => {
  const recorder = (active: boolean, electionTick: number): { campaign: FreshCampaign; count: () => number } => {
    let campaigns = 0;
    return { campaign: new FreshCampaign(active, electionTick, () => campaigns++), count: () => campaigns };
  };

  it('campaigns at start and again every electionTick ticks while no leader is known, then stops for good', () => {
    const { campaign, count } = recorder(true, 3);
    campaign.start();
    expect(count()).toBe(1);
    for (let i = 0; i < 2; i++) campaign.onTick(0);
    expect(count()).toBe(1);
    campaign.onTick(0);
    expect(count()).toBe(2);
    for (let i = 0; i < 3; i++) campaign.onTick(0);
    expect(count()).toBe(3);
    campaign.onTick(2);
    expect(campaign.active).toBe(false);
    for (let i = 0; i < 10; i++) campaign.onTick(0);
    expect(count()).toBe(3);
  });

  it('never campaigns on a node that is not the first campaigner', () => {
    const { campaign, count } = recorder(false, 1);
    campaign.start();
    for (let i = 0; i < 5; i++) campaign.onTick(0);
    expect(count()).toBe(0);
  });

  it('refuses an electionTick that is not a positive integer', () => {
    expect(() => recorder(true, 0)).toThrow(/electionTick/);
  });
});
