// The chain's config state read from config blocks: consenter ids of block 0,
// the next config block's ids, and the guard against founding voters that are
// not block 0's 1..n.

import { describe, expect, it } from 'vitest';
import { buildGenesisBlock } from '../../src/block/configtx/index.js';
import { organizationConfigsOf } from '../../src/block/index.js';
import { configStateOfBlock, consenterIdsMismatch, nextConfigState, voterIdsOf } from '../../src/chain/config/channelConfig.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { makeTestChannel } from '../block/configtx/helpers.js';

const sha256 = createCryptoProvider('native').hasher('sha256');

describe('channel config state', () => {
  const channel = makeTestChannel();
  const genesis = buildGenesisBlock(channel.values, sha256);
  const state = configStateOfBlock(genesis);

  it('block 0 numbers its consenters 1..n and lists every organization for the verifier', () => {
    expect(state.blockNumber).toBe(0);
    expect(voterIdsOf(state)).toEqual([1, 2, 3]);
    expect(state.ids.nextConsenterId).toBe(4);
    expect(organizationConfigsOf(state.values).map((o) => o.mspId)).toEqual(['OrdererMSP', 'Org1MSP']);
  });

  it('a later config block gives an added consenter next_consenter_id and a rotated one its old id', () => {
    const c9 = channel.consenter(9);
    const added = buildGenesisBlock({ ...channel.values, sequence: 1, consenters: [...channel.values.consenters, c9] }, sha256);
    const afterAdd = nextConfigState(state, { ...added, header: { ...added.header, number: 5 } });
    expect(afterAdd.blockNumber).toBe(5);
    expect(afterAdd.ids).toEqual({ consenterIds: [1, 2, 3, 4], nextConsenterId: 5 });
    const [c1, , c3] = channel.values.consenters;
    const rotated = buildGenesisBlock({ ...channel.values, sequence: 2, consenters: [c1!, channel.consenter(2), c3!, c9] }, sha256);
    const afterRotation = nextConfigState(afterAdd, { ...rotated, header: { ...rotated.header, number: 6 } });
    expect(afterRotation.ids).toEqual({ consenterIds: [1, 2, 3, 4], nextConsenterId: 5 });
    expect(afterRotation.values.consenters[1]!.clientTlsCertPem).not.toBe(afterAdd.values.consenters[1]!.clientTlsCertPem);
  });

  it("refuses founding voters that are not block 0's ids, but not a node joining later or a later config block", () => {
    expect(consenterIdsMismatch(state, [1, 2, 3])).toBeUndefined();
    expect(consenterIdsMismatch(state, [10, 20, 30])).toMatch(/\(10, 20, 30\) are not those of its block 0, 1..n in config order \(1, 2, 3\)/);
    expect(consenterIdsMismatch(state, [1, 2, 3, 4])).toBeUndefined();
    expect(consenterIdsMismatch({ ...state, blockNumber: 3 }, [10, 20, 30])).toBeUndefined();
  });
});
