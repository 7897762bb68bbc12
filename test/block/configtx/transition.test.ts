import { describe, expect, it } from 'vitest';
import type { ChannelConfigValues } from '../../../src/block/configtx/channelValues.js';
import { ConfigTransitionError, type TransitionRule } from '../../../src/block/configtx/errors.js';
import { validateConfigTransition } from '../../../src/block/configtx/transition.js';
import { makeTestChannel } from './helpers.js';

const channel = makeTestChannel();
const current: ChannelConfigValues = { ...channel.values, signatureAlgorithm: 'ecdsa-p256' };
const next = (change: Partial<ChannelConfigValues>): ChannelConfigValues => ({ ...current, sequence: current.sequence + 1, ...change });

function refusedBy(proposed: ChannelConfigValues): TransitionRule | undefined {
  try {
    validateConfigTransition(current, proposed);
    return undefined;
  } catch (err) {
    if (err instanceof ConfigTransitionError) return err.rule;
    throw err;
  }
}

describe('validateConfigTransition', () => {
  it('accepts a batch size and timeout change and reports the orderer section changed', () => {
    const result = validateConfigTransition(current, next({ batchSize: { ...current.batchSize, maxMessageCount: 10 }, batchTimeoutMs: 100 }));
    expect(result.ordererSectionChanged).toBe(true);
    expect(result.consenters).toEqual({ endpointsChanged: [] });
  });

  it('reports which raft options change', () => {
    const result = validateConfigTransition(current, next({ raftOptions: { ...current.raftOptions!, snapshotIntervalSizeBytes: 1024 } }));
    expect(result.changedRaftOptions).toEqual(['snapshotIntervalSizeBytes']);
  });

  it('reports a consenter addition with its new id', () => {
    const c4 = channel.consenter(4);
    const result = validateConfigTransition(current, next({ consenters: [...current.consenters, c4] }));
    expect(result.consenters.added).toEqual({ id: 4, consenter: c4 });
  });

  it.each<[string, Partial<ChannelConfigValues>, TransitionRule]>([
    ['a skipped sequence', { sequence: current.sequence + 2 }, 'sequence'],
    ['the same sequence', { sequence: current.sequence }, 'sequence'],
    ['another channel id', { channelId: 'other' }, 'channel-id'],
    ['another hash algorithm', { hashAlgorithm: 'sm3' }, 'hash-algorithm'],
    ['another consensus type', { consensusType: 'BFT' }, 'consensus-type'],
    ['an empty consenter set', { consenters: [] }, 'consenter-set-empty'],
    ['two consenters added', { consenters: [...current.consenters, channel.consenter(4), channel.consenter(5)] }, 'one-consenter-change'],
    ['two consenters removed', { consenters: current.consenters.slice(0, 1) }, 'one-consenter-change'],
    ['a consenter without a port', { consenters: [...current.consenters.slice(0, 2), { ...current.consenters[2]!, port: 0 }] }, 'consenter-endpoint'],
    ['a consenter without a host', { consenters: [...current.consenters.slice(0, 2), { ...current.consenters[2]!, host: '' }] }, 'consenter-endpoint'],
    [
      'a consenter whose client certificate is not PEM',
      { consenters: [...current.consenters.slice(0, 2), { ...current.consenters[2]!, clientTlsCertPem: 'not a cert' }] },
      'consenter-certificate',
    ],
    [
      'a consenter whose server certificate does not parse',
      {
        consenters: [
          ...current.consenters.slice(0, 2),
          { ...current.consenters[2]!, serverTlsCertPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        ],
      },
      'consenter-certificate',
    ],
    ['a consenter listed twice', { consenters: [...current.consenters, current.consenters[0]!] }, 'duplicate-consenter'],
    ['preferred above absolute max bytes', { batchSize: { maxMessageCount: 10, absoluteMaxBytes: 100, preferredMaxBytes: 200 } }, 'batch-size'],
    ['zero max message count', { batchSize: { ...current.batchSize, maxMessageCount: 0 } }, 'batch-size'],
    ['zero batch timeout', { batchTimeoutMs: 0 }, 'batch-timeout'],
    ['election tick not above heartbeat tick', { raftOptions: { ...current.raftOptions!, electionTick: 1, heartbeatTick: 1 } }, 'raft-options'],
    ['zero max inflight blocks', { raftOptions: { ...current.raftOptions!, maxInflightBlocks: 0 } }, 'raft-options'],
    ['zero tick interval', { raftOptions: { ...current.raftOptions!, tickIntervalMs: 0 } }, 'raft-options'],
    ['no orderer organization left', { organizations: current.organizations.filter((o) => !o.sections.includes('orderer')) }, 'organizations'],
  ])('refuses %s', (_name, change, rule) => {
    expect(refusedBy(next(change))).toBe(rule);
  });

  it('names the rule and the values in the message', () => {
    expect(() => validateConfigTransition(current, next({ sequence: 5 }))).toThrow(
      'config update refused (sequence): config sequence must be 1 (current 0 + 1), got 5',
    );
  });
});

describe('validateConfigTransition with the consenter TLS check', () => {
  const tls = { engine: 'native' as const, now: new Date() };

  it("accepts consenters issued by an orderer org's TLS CA", () => {
    const c4 = channel.consenter(4);
    expect(validateConfigTransition(current, next({ consenters: [...current.consenters, c4] }), undefined, tls).consenters.added?.id).toBe(4);
  });

  it('refuses a consenter issued by a CA that is not an orderer TLS CA, naming it', () => {
    const stranger = channel.appOrg.issueMember('orderer9');
    const c9 = { host: 'o9', port: 7059, clientTlsCertPem: stranger.certPem, serverTlsCertPem: stranger.certPem };
    expect(() => validateConfigTransition(current, next({ consenters: [...current.consenters, c9] }), undefined, tls)).toThrow(
      /consenter-certificate.*consenter o9:7059 client TLS certificate/,
    );
  });

  it('refuses an arriving consenter whose certificate expired, but keeps an expired existing one', () => {
    const expiredCert = channel.ordererOrg.issueMember('old', {
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    }).certPem;
    const expired = { host: 'old', port: 7060, clientTlsCertPem: expiredCert, serverTlsCertPem: expiredCert };
    expect(() => validateConfigTransition(current, next({ consenters: [...current.consenters, expired] }), undefined, tls)).toThrow(
      /consenter-certificate.*old:7060/,
    );
    const withExpired = { ...current, consenters: [...current.consenters, expired] };
    const result = validateConfigTransition(withExpired, { ...withExpired, sequence: 1, batchTimeoutMs: 100 }, undefined, tls);
    expect(result.consenters).toEqual({ endpointsChanged: [] });
  });
});
